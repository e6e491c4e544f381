/**
 * Example: embedding beamjs under another runtime. A node:http server on the main thread hands
 * each request to a fresh beamjs process (spawned on some scheduler thread) and awaits its
 * reply through the VM's external mailbox: the shape of any application that uses beamjs as its
 * concurrency engine.
 *
 *     node dist/src/examples/http_embedding.js [port]      # then: curl localhost:8080/fib/25
 *
 *   GET /fib/N   a process computes fib(N) on a scheduler thread: 200 "fib(N) = …"
 *   GET /hello   200 "hello from <pid> on scheduler K"
 *   other        404
 * A handler that crashes, or does not answer within 5 s, gives 500 / 504: the request's process
 * is monitored, so its crash reaches the main thread as a 'DOWN' instead of a hung request.
 *
 * Module `http_example`, export handle(ReplyTo, Ref, Method, Path). Thread-safety: the server
 * and the VM's embedding API run on the main thread; the handler is module code.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineModule, schedulerId, self, send } from '../process/index.js';
import { atom, format, P, tuple, type Pid, type Ref, type Term } from '../term/index.js';
import { VM } from '../vm.js';
import { fib } from './fib_batch.js';

const HTTP_REPLY = atom('http_reply');

export const HTTP_EXAMPLE = defineModule('http_example', {
  *handle(replyTo: Pid, ref: Ref, method: string, path: string) {
    const answer = (status: number, body: string): void => {
      send(replyTo, tuple(HTTP_REPLY, ref, status, body));
    };
    const fibMatch = /^\/fib\/(\d{1,2})$/.exec(path);
    if (method === 'GET' && fibMatch !== null) {
      const n = Number(fibMatch[1]);
      answer(200, `fib(${n}) = ${fib(n)}\n`);
    } else if (method === 'GET' && path === '/hello') {
      answer(200, `hello from ${format(self())} on scheduler ${schedulerId()}\n`);
    } else if (path === '/crash') {
      throw new Error('the handler crashed');
    } else {
      answer(404, 'not found\n');
    }
  },
});

/** Serves HTTP on `port` (0: any free port) with `vm`; resolves with the server once it listens. */
export async function serveHttp(vm: VM, port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    void (async () => {
      const ref = vm.makeRef();
      const [pid, monitor] = (await vm.spawnMonitor('http_example', 'handle', [vm.self, ref, request.method ?? 'GET', request.url ?? '/'])).elements;
      const outcome = await vm.receive(
        P.oneOf(P.tuple(HTTP_REPLY, ref, P.capture('status', P.integer), P.capture('body')), P.tuple(atom('DOWN'), monitor, P.any, pid, P.capture('reason'))),
        5000,
      );
      if (outcome !== undefined && 'status' in outcome) {
        await vm.demonitor(monitor, { flush: true });
        response.writeHead(Number(outcome.status), { 'content-type': 'text/plain' }).end(String(outcome.body));
      } else if (outcome !== undefined && 'reason' in outcome && outcome.reason !== atom('normal')) {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`handler crashed: ${format(outcome.reason as Term)}\n`);
      } else {
        await vm.exit(pid, atom('kill'));
        response.writeHead(504, { 'content-type': 'text/plain' }).end('handler timed out\n');
      }
    })().catch((error: unknown) => {
      response.writeHead(500).end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  const vm = await VM.start({ modules: [import.meta.url] });
  const server = await serveHttp(vm, port);
  console.log(`beamjs HTTP example on http://localhost:${port}/ (${vm.schedulers} scheduler threads); Ctrl-C stops it`);
  process.once('SIGINT', () => {
    server.close();
    void vm.stop();
  });
}
