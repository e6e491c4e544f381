// test/ets/match_spec_process.test.ts again, on 2 scheduler worker threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../match_spec_process.test.js');
