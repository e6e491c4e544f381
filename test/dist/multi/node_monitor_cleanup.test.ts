// test/dist/node_monitor_cleanup.test.ts again, on 2 scheduler worker threads (the main thread owns the sockets).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../node_monitor_cleanup.test.js');
