// logger (src/otp/logger.ts): OTP's levels and default primary level (notice), primary, module
// and handler levels, handlers (logger_send_h captures events here), the default handler's
// OTP formats through the runtime's logger hook (forwarded from scheduler threads), a crashing
// handler removed, order and no loss of events from many processes. Inline, or on 2 scheduler
// threads (test/otp/multi/).
import t from 'tap';
import { atom, format, InvalidArgumentError, tuple, Tuple, type Term } from '../../src/index.js';
import { formatEvent, legacyTime, OtpLogger, type LogEvent } from '../../src/otp/index.js';
import { nextLog, op, startAppsVM, waitLines } from './fixtures/apps_harness.js';

const ok = atom('ok');

// One VM for the file (a VM on 2 scheduler threads takes ~1.5 s to start).
const apps = await startAppsVM(t);
const { vm } = apps;

/** The text of the next captured event ({string, Text} or a format), or undefined. */
async function nextText(ms = 2000): Promise<string | undefined> {
  const e = await nextLog(vm, ms);
  if (e === undefined) return undefined;
  const msg = e.msg as Tuple;
  return msg.at(0) === atom('string') ? (msg.at(1) as string) : `${(msg.at(0) as { name?: string }).name ?? String(msg.at(0))}`;
}

t.test('levels: primary notice by default, set_primary_config, module and handler levels', async (t) => {
  t.same(await op(vm, 'get_primary'), { level: atom('notice') }, 'OTP default: notice');
  t.same(await op(vm, 'add_handler', atom('capture'), vm.self), ok);
  t.same(await op(vm, 'add_handler', atom('capture'), vm.self), tuple(atom('error'), tuple(atom('already_exist'), atom('capture'))), 'a taken id');
  await op(vm, 'log_event', atom('info'), 'i1');
  await op(vm, 'log_event', atom('notice'), 'n1');
  t.equal(await nextText(), 'n1', 'info is below notice: dropped; notice passes');
  t.same(await op(vm, 'set_primary', atom('info')), ok);
  await op(vm, 'log_event', atom('debug'), 'd1');
  await op(vm, 'log_event', atom('info'), 'i2');
  t.equal(await nextText(), 'i2', 'at info: info passes, debug does not');
  t.same(await op(vm, 'set_module_level', atom('apps_mod'), atom('debug')), ok);
  await op(vm, 'log_event', atom('debug'), 'd2');
  await op(vm, 'log_event', atom('debug'), 'd3', atom('apps_mod'));
  t.equal(await nextText(), 'd3', "a module level replaces the primary one for that module's events");
  t.same(await op(vm, 'handler_level', atom('capture'), atom('error')), ok);
  await op(vm, 'log_event', atom('warning'), 'w1');
  await op(vm, 'log_event', atom('critical'), 'c1');
  t.equal(await nextText(), 'c1', 'a handler level filters for that handler');
  t.same(await op(vm, 'remove_handler', atom('capture')), ok);
  await op(vm, 'log_event', atom('emergency'), 'e1');
  t.equal(await nextText(200), undefined, 'a removed handler gets nothing');
  t.same(await op(vm, 'remove_handler', atom('capture')), tuple(atom('error'), tuple(atom('not_found'), atom('capture'))));
  await op(vm, 'set_primary', atom('notice'));
});

t.test('the default handler prints OTP legacy reports through the logger hook', async (t) => {
  await op(vm, 'log_event', atom('error'), 'hello');
  await op(vm, 'log_event', atom('info'), 'not printed');
  await op(vm, 'log_event', atom('warning'), 'careful');
  const texts = await waitLines(apps, (x) => x.some((l) => l.includes('careful')));
  const hello = apps.lines.find((l) => l.text.endsWith('===\nhello\n'));
  t.ok(hello !== undefined && hello.level === 'error', 'an error event reaches the hook at level error');
  t.match(hello?.text, /^=ERROR REPORT==== \d{1,2}-[A-Z][a-z]{2}-\d{4}::\d\d:\d\d:\d\d\.\d{6} ===\nhello\n$/);
  t.ok(texts.some((l) => /^=WARNING REPORT==== .* ===\ncareful\n$/.test(l)), 'warning');
  t.notOk(texts.some((l) => l.includes('not printed')), 'info is below the primary level');
});

t.test("OTP's formats: gen_server terminate, io formats, the legacy time", async (t) => {
  const time = Date.UTC(2026, 11, 3, 11, 1, 57) * 1000 + 904270;
  const event = (msg: Tuple, level = 'error'): LogEvent => ({ level: atom(level), msg, meta: { time } });
  const head = `=ERROR REPORT==== ${legacyTime(time)} ===\n`;
  t.match(legacyTime(time), /^3-Dec-2026::\d\d:01:57\.904270$/, 'day unpadded, µs, as OTP 25');
  const report = { label: tuple(atom('gen_server'), atom('terminate')), name: atom('w1'), last_message: atom('boom'), state: atom('w1'), log: [], reason: tuple(atom('boom_reason'), []), client_info: undefined as Term };
  // The lines erl 25 printed for the same report (test/otp/sup_diff.erl's scenario), stack aside.
  t.equal(formatEvent(event(tuple(atom('report'), report))), `${head}** Generic server w1 terminating \n** Last message in was boom\n** When Server state == w1\n** Reason for termination ==\n** {boom_reason,[]}\n`);
  t.equal(formatEvent(event(tuple('~p and ~s~n', [tuple(atom('a'), 1), 'text']))), `${head}{a,1} and text\n\n`, 'io:format directives');
  const app = { label: tuple(atom('application_controller'), atom('progress')), report: [tuple(atom('application'), atom('kernel')), tuple(atom('started_at'), atom('nonode@nohost'))] };
  t.equal(formatEvent(event(tuple(atom('report'), app), 'info')), `=PROGRESS REPORT==== ${legacyTime(time)} ===\n    application: kernel\n    started_at: nonode@nohost\n`, 'application started, as OTP 25');
  t.equal(formatEvent(event(tuple(atom('report'), [tuple(atom('key'), 1)]), 'info')), `=INFO REPORT==== ${legacyTime(time)} ===\n    key: 1\n`, 'a report list: key: value lines');
});

t.test('a handler that crashes is removed, and that is printed', async (t) => {
  t.same(await op(vm, 'add_handler_mod', atom('bad'), atom('apps_bad_h')), ok);
  await op(vm, 'log_event', atom('error'), 'trigger');
  const texts = await waitLines(apps, (x) => x.some((l) => l.includes('handler bad')));
  t.ok(texts.some((l) => /logger: handler bad \(apps_bad_h\) crashed and was removed/.test(l)), 'the removal is printed');
  t.same(await op(vm, 'handler_ids'), [atom('default')], 'and the handler is gone');
});

t.test('events of many processes (on every thread): none lost, each process in order', async (t) => {
  t.same(await op(vm, 'add_handler', atom('many'), vm.self), ok);
  const procs = 8;
  const each = 25;
  await Promise.all(Array.from({ length: procs }, () => op(vm, 'log_many', each)));
  const seen = new Map<string, number[]>();
  for (let i = 0; i < procs * each; i++) {
    const e = await nextLog(vm);
    if (e === undefined) break;
    const [pid, n] = ((e.msg as Tuple).at(1) as Term[]) as [Term, number];
    const key = format(pid);
    if (!seen.has(key)) seen.set(key, []);
    seen.get(key)!.push(n);
  }
  t.equal(seen.size, procs, 'every process was heard');
  for (const [pid, ns] of seen) t.same(ns, Array.from({ length: each }, (_, i) => i), `${pid}: 0..${each - 1} in order, none lost`);
  t.equal(await nextLog(vm, 100), undefined, 'and nothing extra');
  await op(vm, 'remove_handler', atom('many'));
});

t.test('bad input: unknown levels and messages are InvalidArgumentErrors naming them', async (t) => {
  t.throws(() => OtpLogger.log('loud' as never, 'x'), { constructor: InvalidArgumentError, message: /logger:log: level must be emergency, alert, critical, error, warning, notice, info or debug; received string "loud"/ });
  t.throws(() => OtpLogger.setPrimaryConfig('level', 'loud' as never).next(), { constructor: InvalidArgumentError, message: /set_primary_config: level must be .* all or none; received string "loud"/ });
  t.throws(() => OtpLogger.log('info', 42 as never), { constructor: InvalidArgumentError, message: /message must be a string, \{ report \} or \{ format, args \}; received number 42/ });
});
