// test/dist/vm_dist.test.ts again, on 2 scheduler worker threads (the main thread owns the sockets).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../vm_dist.test.js');
