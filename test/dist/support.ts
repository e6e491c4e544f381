/**
 * Helpers of the distribution tests: free loopback ports, unique node names, real `epmd`
 * and `erl` processes started on 127.0.0.1 only, each killed when the test ends (t.teardown)
 * and bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

let counter = 0;
/** A node alive-name unique to this test run. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}x${Math.floor(Math.random() * 1e6)}`;
}

/** The host part erl uses for -sname on this machine. */
export function shortHost(): string {
  return os.hostname().split('.')[0]!;
}

export interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

/** Starts a real epmd on `port`, loopback only; killed at teardown. Resolves once it accepts. */
export async function startRealEpmd(t: Teardown, port: number): Promise<ChildProcess> {
  const child = spawn('epmd', ['-port', String(port)], {
    env: { ...process.env, ERL_EPMD_ADDRESS: '127.0.0.1' },
    stdio: 'ignore',
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  for (let i = 0; i < 100; i++) {
    if (await accepts(port)) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`epmd did not start on port ${port}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface ErlNode {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the first printed line matching `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts `erl -sname <name> -setcookie <cookie> -noshell -eval <eval>` with its epmd at
 * `epmdPort`, distribution listening on loopback only; killed at teardown and after
 * `maxMs` in any case.
 */
export function startErl(t: Teardown, options: { sname: string; cookie: string; epmdPort: number; eval: string; maxMs?: number; extra?: string[] }): ErlNode {
  const args = [
    '-sname', options.sname,
    '-setcookie', options.cookie,
    '-noshell',
    '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
    ...(options.extra ?? []),
    '-eval', options.eval,
  ];
  const child = spawn('erl', args, { env: { ...process.env, ERL_EPMD_PORT: String(options.epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = waiters[i]!.re.exec(out);
      if (m !== null) {
        waiters[i]!.resolve(m);
        waiters.splice(i, 1);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const kill = setTimeout(() => child.kill('SIGKILL'), options.maxMs ?? 20000);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    clearTimeout(kill);
    resolve(code);
  }));
  t.teardown(() => {
    clearTimeout(kill);
    child.kill('SIGKILL');
  });
  return {
    child,
    exited,
    output: () => out,
    waitFor(re: RegExp, ms = 10000): Promise<RegExpExecArray> {
      const m = re.exec(out);
      if (m !== null) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`erl ${options.sname} printed no ${re} within ${ms} ms; output:\n${out}`)), ms);
        waiters.push({ re, resolve: (x) => { clearTimeout(timer); resolve(x); } });
      });
    },
  };
}
