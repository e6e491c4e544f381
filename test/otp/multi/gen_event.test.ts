// test/otp/gen_event.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../gen_event.test.js');
