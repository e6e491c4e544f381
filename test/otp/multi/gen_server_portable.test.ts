// test/otp/gen_server_portable.test.ts again, on 2 scheduler worker threads (servers move).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../gen_server_portable.test.js');
