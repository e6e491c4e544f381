// test/examples/chat.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../chat.test.js');
