// The embedding example (src/examples/http_embedding.ts): node:http on the main thread hands
// each request to a beamjs process on a scheduler thread and awaits its reply.
import t from 'tap';
import { serveHttp } from '../../src/examples/http_embedding.js';
import { VM } from '../../src/index.js';

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

t.test('requests are answered by processes on the scheduler threads, concurrently; crashes give 500', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: [new URL('../../src/examples/http_embedding.js', import.meta.url)], workerExecArgv: [], logger: false });
  const server = await serveHttp(vm, 0);
  t.teardown(async () => {
    server.close();
    await vm.stop();
  });
  const { port } = server.address() as { port: number };
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  };
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`/fib/${10 + (i % 15)}`)));
  t.ok(
    answers.every((a, i) => a.status === 200 && a.body === `fib(${10 + (i % 15)}) = ${fib(10 + (i % 15))}\n`),
    '40 concurrent requests, each with its own right answer',
  );
  const hellos = await Promise.all(Array.from({ length: 8 }, () => get('/hello')));
  const schedulers = new Set(hellos.map((h) => /on scheduler (\d+)/.exec(h.body)?.[1]));
  t.same([...schedulers].sort(), ['1', '2'], 'handlers ran on both schedulers');
  t.same(await get('/nowhere'), { status: 404, body: 'not found\n' }, 'unknown paths are 404');
  const crash = await get('/crash');
  t.equal(crash.status, 500, 'a crashing handler gives 500');
  t.match(crash.body, /js_error/, 'with its exit reason');
  t.equal((await get('/fib/20')).status, 200, 'the server keeps serving after a crash');
});
