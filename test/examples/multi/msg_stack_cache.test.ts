// test/examples/msg_stack_cache.test.ts again, on 2 scheduler worker threads (issue 4).
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../msg_stack_cache.test.js');
