// test/otp/behav_sys.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../behav_sys.test.js');
