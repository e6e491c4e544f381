// test/examples/kvs.test.ts again, on 2 scheduler worker threads (issue 4).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../kvs.test.js');
