// test/examples/ping_pong.test.ts again, on 2 scheduler worker threads (issue 4).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../ping_pong.test.js');
