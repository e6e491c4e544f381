/**
 * Starts one worker thread of `fixture` per job, holds them at a barrier until all are up (so
 * their races are real), and resolves with each one's single reply. The protocol with the
 * fixture: workerData is the job plus `start`, a SharedArrayBuffer of two Int32 words; each
 * worker increments word 0 when it is up and waits on word 1 (set to 1, then notified, here).
 */
import { Worker } from 'node:worker_threads';

export function runAtBarrier<R>(fixture: URL, jobs: ReadonlyArray<Record<string, unknown>>): Promise<R[]> {
  const start = new SharedArrayBuffer(8);
  const gate = new Int32Array(start);
  const results = jobs.map(
    (job) =>
      new Promise<R>((resolve, reject) => {
        const worker = new Worker(fixture, { workerData: { ...job, start }, execArgv: [] });
        worker.once('message', (m: R) => {
          resolve(m);
          void worker.terminate();
        });
        worker.once('error', reject);
      }),
  );
  const open = (): void => {
    if (Atomics.load(gate, 0) < jobs.length) {
      setTimeout(open, 1);
      return;
    }
    Atomics.store(gate, 1, 1);
    Atomics.notify(gate, 1);
  };
  open();
  return Promise.all(results);
}
