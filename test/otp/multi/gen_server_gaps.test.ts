// test/otp/gen_server_gaps.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../gen_server_gaps.test.js');
