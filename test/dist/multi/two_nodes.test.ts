// test/dist/two_nodes.test.ts again, node A on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../two_nodes.test.js');
