// test/dist/net_kernel_start.test.ts again, on 2 scheduler worker threads (the main thread owns the sockets).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../net_kernel_start.test.js');
