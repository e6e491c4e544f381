// test/dist/otp_global_partition.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../otp_global_partition.test.js');
