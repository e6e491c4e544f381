// test/otp/logger.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../logger.test.js');
