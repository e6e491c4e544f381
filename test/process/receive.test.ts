// Selective receive (src/process/receive.ts, mailbox.ts): arrival order, skipped messages keep
// their order, after 0 / ms / infinity, the reference-marker optimisation, sleep, yield, await.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { atom, ErrorCode, P, tuple, type Term } from '../../src/index.js';
import { agent, call, next, sameTerm, startVM } from './fixtures/harness.js';

const execFileP = promisify(execFile);

t.test('receive takes the first matching message in arrival order and leaves the others in order', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  for (const m of [tuple(atom('b'), 1), tuple(atom('a'), 2), tuple(atom('b'), 3), tuple(atom('a'), 4)]) vm.send(a, m);
  // 'recv' takes the first non-command message: order of arrival.
  sameTerm(t, await call(vm, a, 'recv', 0), tuple(atom('b'), 1), 'first message first');
  sameTerm(t, await call(vm, a, 'flush'), [tuple(atom('a'), 2), tuple(atom('b'), 3), tuple(atom('a'), 4)], 'the rest in arrival order');
});

t.test('vm.receive is selective too: a pattern skips non-matching messages, which stay queued in order', async (t) => {
  const { vm } = await startVM(t);
  vm.send(vm.self, tuple(atom('x'), 1));
  vm.send(vm.self, tuple(atom('y'), 2));
  vm.send(vm.self, tuple(atom('x'), 3));
  vm.send(vm.self, tuple(atom('y'), 4));
  const y = await vm.receive(P.tuple(atom('y'), P.capture('n')), 0);
  t.same(y, { n: 2 }, 'the first {y, N}');
  sameTerm(t, [await next(vm), await next(vm), await next(vm)], [tuple(atom('x'), 1), tuple(atom('x'), 3), tuple(atom('y'), 4)], 'the others in order');
  t.equal(await vm.receive(P.any, 0), undefined, 'timeout 0 on an empty mailbox returns undefined at once');
});

t.test('receive with a timeout returns undefined after the time; infinity waits for the message', async (t) => {
  const { vm } = await startVM(t);
  await vm.spawn('scenario', 'timeoutReporter', [vm.self, 20]);
  sameTerm(t, await next(vm), tuple(atom('timed_out'), true), 'the after branch ran');
  const a = await agent(vm);
  const waiting = call(vm, a, 'recv', 'infinity' as unknown as Term);
  setTimeout(() => vm.send(a, atom('late')), 30);
  sameTerm(t, await waiting, atom('late'), "receive with 'infinity' got the late message");
  const b = await agent(vm);
  const quick = call(vm, b, 'recv', 10_000);
  vm.send(b, atom('soon'));
  sameTerm(t, await quick, atom('soon'), 'a message before the timeout wins');
  await t.rejects(vm.receive(P.any, -1), { code: ErrorCode.INVALID_ARGUMENT, message: /timeout must be a non-negative integer/ }, 'a bad timeout names the argument');
});

t.test('timed receives ended by a message leave no timer behind that makes a later wait early, late or spurious', async (t) => {
  const { vm } = await startVM(t);
  await vm.spawn('scenario', 'lazyTimer', [vm.self]);
  const m = (await vm.receive(P.tuple(atom('lazy_timer'), P.capture('shorter'), P.capture('longer'), P.capture('infinite'), P.capture('slept')), 5000))!;
  t.ok(m !== undefined, 'the scenario reported');
  const { shorter, longer, slept } = m as { shorter: number; longer: number; slept: number };
  t.ok(shorter >= 30 && shorter < 250, `a 30 ms wait after a longer one timed out after ${shorter.toFixed(1)} ms (not at the older timer's 300 ms)`);
  t.ok(longer >= 60 && longer < 1000, `a 60 ms wait after a shorter one timed out after ${longer.toFixed(1)} ms (not at the older timer's 20 ms)`);
  sameTerm(t, m.infinite, atom('m4'), 'a stale timer did not end the infinite receive');
  t.ok(slept >= 10, `sleep(10) slept ${slept.toFixed(1)} ms`);
});

t.test('the timer a timed receive left armed does not keep Node alive: a VM whose processes all wait forever lets it exit', async (t) => {
  // In a child Node: an inline VM, a process that waited 5 ms of a 60 s timeout and now waits
  // forever, and no vm.stop(). Node must exit at once, not when the old 60 s timer would fire.
  const index = new URL('../../src/index.js', import.meta.url).href;
  const modules = new URL('./fixtures/modules.js', import.meta.url).href;
  const script = `
    const { atom, P, VM } = await import(${JSON.stringify(index)});
    await import(${JSON.stringify(modules)});
    const vm = await VM.start({ inline: true, modules: [${JSON.stringify(modules)}], logger: false });
    await vm.spawn('scenario', 'timedThenForever', [vm.self]);
    const got = await vm.receive(P.tuple(atom('waiting_forever'), P.any), 3000);
    console.log(got === undefined ? 'no report' : 'waiting');
  `;
  const start = performance.now();
  const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, env: { ...process.env, BEAMJS_NATIVE: '0' } });
  const took = performance.now() - start;
  t.equal(stdout.trim(), 'waiting', 'the process reported that it waits forever');
  t.ok(took < 20_000, `Node exited after ${Math.round(took)} ms (the old timer was due at 60 s)`);
});

t.test('a receive on a fresh ref skips the 100,000 messages queued before it was made', async (t) => {
  const { vm } = await startVM(t);
  const server = await vm.spawn('scenario', 'echoServer', []);
  await vm.spawn('scenario', 'refCall', [vm.self, server, 100_000]);
  const m = (await vm.receive(P.tuple(atom('called'), P.capture('answer'), P.capture('reductions'), P.capture('queued'), P.capture('first')), 15000))!;
  sameTerm(t, m.answer, tuple(atom('echo'), atom('hello')), 'the call got its reply');
  t.ok((m.reductions as number) < 100, `the receive scanned almost nothing (${String(m.reductions)} reductions; a full scan costs 12,500)`);
  t.equal(m.queued, 100_000, 'the queued messages are all still there');
  sameTerm(t, m.first, tuple(atom('junk'), 0), 'in their order');
});

t.test('without a ref marker, a receive scans past the queued messages (counted in reductions)', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const reductions = async (): Promise<number> => ((await vm.processInfo(a, atom('reductions'))) as unknown as { at(i: number): number }).at(1);
  const before = await reductions();
  for (let i = 0; i < 10_000; i++) vm.send(a, tuple(atom('junk'), i));
  // The agent's command pattern has no literal ref: finding the command scans 10,000 messages.
  sameTerm(t, await call(vm, a, 'recv', 0), tuple(atom('junk'), 0), 'the junk is still first');
  const after = await reductions();
  t.ok(after - before >= 10_000 / 8, `the scan was counted (${after - before} reductions)`);
});

t.test('sleep suspends without being woken by messages; yield and awaiting promises resume the process', async (t) => {
  const { vm } = await startVM(t);
  const s = await vm.spawn('scenario', 'sleeper', [vm.self, 30]);
  vm.send(s, atom('wake_up'));
  sameTerm(t, await next(vm), atom('slept'), 'the sleeper reported after sleeping');
  await vm.spawn('scenario', 'awaiter', [vm.self, 5, false]);
  sameTerm(t, await next(vm), tuple(atom('awaited'), atom('resolved')), 'awaitPromise returns the value');
  await vm.spawn('scenario', 'rawAwaiter', [vm.self]);
  sameTerm(t, await next(vm), tuple(atom('raw'), 42), '`yield promise` works too');
  const [pid, ref] = (await vm.spawnMonitor('scenario', 'awaiter', [vm.self, 5, true])).elements;
  sameTerm(
    t,
    await next(vm),
    tuple(atom('DOWN'), ref, atom('process'), pid, tuple(tuple(atom('js_error'), 'RangeError', 'nope'), [tuple(atom('scenario'), atom('awaiter'), 3, [])])),
    'a rejection raises in the process; uncaught, it is the exit reason',
  );
  await vm.spawn('scenario', 'badYield', [vm.self]);
  sameTerm(t, await next(vm), tuple(atom('bad_yield'), atom('badarg')), 'yielding a bad value raises badarg at the yield');
});
