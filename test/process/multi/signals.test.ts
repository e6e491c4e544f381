// test/process/signals.test.ts again, with every VM on 2 scheduler worker threads (issue 4: the
// whole process suite runs both ways). Processes spawned from the test land on both schedulers
// (round robin), so most scenarios cross threads.
process.env.BEAMJS_TEST_SCHEDULERS ??= '2';
await import('../signals.test.js');
