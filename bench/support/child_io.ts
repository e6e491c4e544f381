/**
 * Helpers of the benchmarks that start other nodes (erl, a second beamjs node): a free loopback
 * port, and waiting for a line a child process prints.
 *
 * Threads: the benchmark's main thread.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A TCP port free on 127.0.0.1 just now (for an epmd of the benchmark's own). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The first match of `re` in what `child` prints (stdout and stderr); rejects after `ms`. */
export function waitLine(child: ChildProcess, re: RegExp, ms = 20000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms: ${out}`)), ms);
    const on = (c: Buffer): void => {
      out += c.toString();
      const m = re.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}
