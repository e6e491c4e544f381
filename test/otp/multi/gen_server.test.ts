// test/otp/gen_server.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../gen_server.test.js');
