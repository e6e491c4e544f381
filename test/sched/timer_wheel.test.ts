/**
 * Tests of src/sched/timer_wheel.ts with an injected fake clock (no real sleeping): the
 * contract case by case, then a randomized comparison against a reference model (a plain
 * array scanned and sorted at every advance) over thousands of operations, including
 * operations made from inside fire callbacks. Seeds are printed; BEAMJS_SEED=<n> adds one.
 */
import t from 'tap';
import { TimerWheel, type Clock, type TimerId } from '../../src/sched/timer_wheel.js';
import { BeamError, ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';
import { mulberry32 } from '../support/prng.js';

class FakeClock implements Clock {
  constructor(public time = 0) {}
  now(): number {
    return this.time;
  }
}

function collect<T>(wheel: TimerWheel<T>): T[] {
  const fired: T[] = [];
  wheel.advance((payload) => fired.push(payload));
  return fired;
}

t.test('a timer fires once its delay has passed, never before', (t) => {
  const clock = new FakeClock(1000);
  const wheel = new TimerWheel<string>({ clock });
  wheel.add(10, 'a');
  clock.time = 1009;
  t.same(collect(wheel), []);
  clock.time = 1009.999;
  t.same(collect(wheel), []);
  clock.time = 1010;
  t.same(collect(wheel), ['a']);
  clock.time = 5000;
  t.same(collect(wheel), [], 'a timer fires only once');
  t.equal(wheel.size, 0);
  t.end();
});

t.test('addAt fires at its absolute deadline (fractional too), a past one on the next advance; a bad deadline is refused', (t) => {
  const clock = new FakeClock(100);
  const wheel = new TimerWheel<string>({ clock });
  wheel.addAt(112.5, 'late');
  wheel.addAt(90, 'past');
  const id = wheel.add(5, 'relative');
  t.equal(wheel.nextDeadline(), 90);
  t.same(collect(wheel), ['past']);
  clock.time = 112.4;
  t.same(collect(wheel), ['relative']);
  t.equal(wheel.remaining(id), false);
  clock.time = 112.5;
  t.same(collect(wheel), ['late']);
  t.equal(wheel.size, 0);
  t.throws(() => wheel.addAt(Number.NaN, 'x'), { name: 'InvalidArgumentError', message: /deadline must be a finite number/ });
  t.throws(() => wheel.addAt(Number.POSITIVE_INFINITY, 'x'), { message: /received Infinity|received/ });
  t.end();
});

t.test('a 0 ms timer fires on the next advance and not earlier', (t) => {
  const clock = new FakeClock(5);
  const wheel = new TimerWheel<string>({ clock });
  const id = wheel.add(0, 'zero');
  t.equal(wheel.remaining(id), 0);
  t.equal(wheel.nextDeadline(), 5);
  t.same(collect(wheel), ['zero']);
  t.equal(wheel.nextDeadline(), undefined);
  t.end();
});

t.test('timers fire in deadline order, ties in insertion order, payload and id passed along', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  const ids = new Map<string, TimerId>();
  const plan: Array<[number, string]> = [
    [50, 'c1'],
    [3, 'a'],
    [5000, 'e'],
    [50, 'c2'],
    [64, 'd'],
    [3, 'b'],
    [50, 'c3'],
    [70000, 'f'],
  ];
  for (const [delay, name] of plan) ids.set(name, wheel.add(delay, name));
  clock.time = 1e6;
  const fired: Array<[string, TimerId]> = [];
  t.equal(
    wheel.advance((payload, id) => fired.push([payload, id])),
    8,
  );
  t.same(
    fired.map(([name]) => name),
    ['a', 'b', 'c1', 'c2', 'c3', 'd', 'e', 'f'],
  );
  for (const [name, id] of fired) t.equal(id, ids.get(name), `${name} comes with its own id`);
  t.end();
});

t.test('cancel returns the ms left, then false; unknown ids answer false', (t) => {
  const clock = new FakeClock(100);
  const wheel = new TimerWheel<string>({ clock });
  const id = wheel.add(250, 'x');
  clock.time = 130;
  t.equal(wheel.remaining(id), 220);
  t.equal(wheel.cancel(id), 220);
  t.equal(wheel.cancel(id), false, 'a second cancel answers false');
  t.equal(wheel.remaining(id), false);
  t.equal(wheel.cancel(12345 as TimerId), false);
  t.equal(wheel.cancel('nope' as unknown as TimerId), false);
  clock.time = 10_000;
  t.same(collect(wheel), [], 'a cancelled timer never fires');
  const fired = wheel.add(1, 'y');
  clock.time += 1;
  t.same(collect(wheel), ['y']);
  t.equal(wheel.cancel(fired), false, 'cancel after firing answers false');
  t.equal(wheel.remaining(fired), false);
  t.end();
});

t.test('remaining rounds a fractional time left up to whole ms and never goes below 0', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  const id = wheel.add(10, 'x');
  clock.time = 0.25;
  t.equal(wheel.remaining(id), 10);
  clock.time = 9.5;
  t.equal(wheel.remaining(id), 1);
  clock.time = 10;
  t.equal(wheel.remaining(id), 0);
  clock.time = 20;
  t.equal(wheel.remaining(id), 0, 'a due timer not yet fired has 0 left');
  t.ok(Object.is(wheel.remaining(id), 0), 'and that 0 is +0');
  t.end();
});

t.test('huge delays (2^32 ms and beyond) fire exactly at their deadline', (t) => {
  const clock = new FakeClock(7);
  const wheel = new TimerWheel<number>({ clock });
  const delays = [2 ** 32, 2 ** 32 - 1, 2 ** 36 + 5, 2 ** 40, 2 ** 24, 2 ** 30 + 1, 2 ** 50];
  for (const delay of delays) wheel.add(delay, delay);
  const sorted = [...delays].sort((a, b) => a - b);
  t.equal(wheel.nextDeadline(), 7 + sorted[0]!);
  for (const delay of sorted) {
    clock.time = 7 + delay - 1;
    t.same(collect(wheel), [], `nothing fires 1 ms before ${delay}`);
    t.equal(wheel.nextDeadline(), 7 + delay);
    clock.time = 7 + delay;
    t.same(collect(wheel), [delay], `${delay} fires at its deadline`);
  }
  t.equal(wheel.size, 0);
  t.end();
});

t.test('a long pause then one advance fires everything due, in order, from every level', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<number>({ clock });
  const random = mulberry32(42);
  const expected: Array<[number, number]> = [];
  for (let i = 0; i < 5000; i++) {
    const delay = Math.floor(random() * 2 ** Math.floor(random() * 38));
    wheel.add(delay, i);
    expected.push([delay, i]);
  }
  expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const pause = 2 ** 31;
  clock.time = pause;
  const fired = collect(wheel);
  const due = expected.filter(([delay]) => delay <= pause).map(([, i]) => i);
  t.same(fired, due);
  t.equal(wheel.size, 5000 - due.length);
  clock.time = 2 ** 40;
  t.same(
    collect(wheel),
    expected.filter(([delay]) => delay > pause).map(([, i]) => i),
  );
  t.end();
});

t.test('many timers in one slot fire in insertion order', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<number>({ clock });
  for (let i = 0; i < 20000; i++) wheel.add(300, i);
  clock.time = 299;
  t.equal(collect(wheel).length, 0);
  clock.time = 300;
  const fired = collect(wheel);
  t.equal(fired.length, 20000);
  t.ok(
    fired.every((value, index) => value === index),
    'fired 0..19999 in order',
  );
  t.end();
});

t.test('a fire callback can cancel a timer due in the same advance, which then does not fire', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  const ids: TimerId[] = [];
  ids.push(wheel.add(1, 'first'));
  ids.push(wheel.add(2, 'second'));
  ids.push(wheel.add(3, 'third'));
  clock.time = 10;
  const fired: string[] = [];
  const cancelResults: Array<number | false> = [];
  wheel.advance((payload) => {
    fired.push(payload);
    if (payload === 'first') {
      cancelResults.push(wheel.remaining(ids[1]!));
      cancelResults.push(wheel.cancel(ids[1]!));
      cancelResults.push(wheel.cancel(ids[0]!));
    }
  });
  t.same(fired, ['first', 'third']);
  t.same(cancelResults, [0, 0, false], 'a due timer has 0 left; the firing one is already gone');
  t.end();
});

t.test('a fire callback can add timers; they fire in a later advance, even with 0 ms', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<number>({ clock });
  wheel.add(5, 0);
  clock.time = 5;
  let rounds = 0;
  const fire = (n: number): void => {
    if (n < 3) wheel.add(0, n + 1);
  };
  for (; rounds < 10; rounds++) {
    if (wheel.advance(fire) === 0) break;
  }
  t.equal(rounds, 4, 'one timer per advance: 0, 1, 2, 3, then nothing');
  t.equal(wheel.size, 0);
  t.end();
});

t.test('nextDeadline is the exact earliest deadline and follows adds, cancels and fires', (t) => {
  const clock = new FakeClock(10);
  const wheel = new TimerWheel<string>({ clock, tickMs: 4 });
  t.equal(wheel.nextDeadline(), undefined);
  const late = wheel.add(100_000, 'late');
  t.equal(wheel.nextDeadline(), 100_010);
  clock.time = 10.5;
  const soon = wheel.add(7, 'soon');
  t.equal(wheel.nextDeadline(), 17.5);
  wheel.add(7, 'soon2');
  t.equal(wheel.cancel(soon), 7);
  t.equal(wheel.nextDeadline(), 17.5, 'the tie left is still there');
  clock.time = 17.5;
  t.same(collect(wheel), ['soon2']);
  t.equal(wheel.nextDeadline(), 100_010);
  t.equal(wheel.cancel(late), 99_993, "100010 - 17.5 = 99992.5, rounded up");
  t.equal(wheel.nextDeadline(), undefined);
  t.end();
});

t.test('nextDeadline called from a fire callback counts the due timers not fired yet', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  wheel.add(1, 'a');
  wheel.add(2, 'b');
  wheel.add(50, 'c');
  clock.time = 3;
  const seen: Array<number | undefined> = [];
  wheel.advance(() => seen.push(wheel.nextDeadline()));
  t.same(seen, [2, 50]);
  t.end();
});

t.test('when a fire callback throws, the error propagates and the other due timers stay due', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  wheel.add(1, 'a');
  wheel.add(1, 'boom');
  const cId = wheel.add(2, 'c');
  wheel.add(3, 'd');
  wheel.add(100, 'later');
  clock.time = 5;
  const fired: string[] = [];
  t.throws(
    () =>
      wheel.advance((payload) => {
        fired.push(payload);
        if (payload === 'boom') throw new Error('callback failed');
      }),
    { message: 'callback failed' },
  );
  t.same(fired, ['a', 'boom']);
  t.equal(wheel.size, 3);
  t.equal(wheel.remaining(cId), 0);
  t.equal(wheel.nextDeadline(), 2);
  t.same(collect(wheel), ['c', 'd'], 'the next advance fires them, in order');
  clock.time = 100;
  t.same(collect(wheel), ['later']);
  t.end();
});

t.test('advance called from inside its own fire callback throws', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  wheel.add(0, 'a');
  let inner: unknown;
  wheel.advance(() => {
    try {
      wheel.advance(() => undefined);
    } catch (error) {
      inner = error;
    }
  });
  t.ok(BeamError.is(inner));
  t.match(inner, { code: ErrorCode.INVALID_ARGUMENT, message: /inside a fire callback/ });
  t.end();
});

t.test('a coarse tick never makes a timer fire early with a fractional clock', (t) => {
  const clock = new FakeClock(0.3);
  const wheel = new TimerWheel<number>({ clock, tickMs: 10 });
  for (let d = 0; d < 40; d++) wheel.add(d, d);
  const fired: number[] = [];
  for (let step = 0; step < 200; step++) {
    clock.time = 0.3 + step * 0.25;
    wheel.advance((d) => {
      t.ok(clock.time >= 0.3 + d, `timer ${d} fired at ${clock.time}, not before ${0.3 + d}`);
      t.ok(clock.time < 0.3 + d + 0.25 + 1e-9, `timer ${d} fired at the first advance after its deadline`);
      fired.push(d);
    });
  }
  t.same(
    fired,
    Array.from({ length: 40 }, (_, d) => d),
  );
  t.end();
});

t.test('a clock that goes backwards fires nothing early and loses nothing', (t) => {
  const clock = new FakeClock(1000);
  const wheel = new TimerWheel<string>({ clock });
  wheel.add(10, 'a');
  clock.time = 1200;
  wheel.add(5, 'b'); // deadline 1205
  clock.time = 900;
  t.same(collect(wheel), []);
  wheel.add(1, 'c'); // deadline 901
  clock.time = 1009;
  t.same(collect(wheel), ['c']);
  clock.time = 1205;
  t.same(collect(wheel), ['a', 'b']);
  t.end();
});

t.test('clear drops every timer without firing it, also from a fire callback', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  const ids = [wheel.add(1, 'a'), wheel.add(100, 'b'), wheel.add(2 ** 40, 'c')];
  t.equal(wheel.clear(), 3);
  t.equal(wheel.size, 0);
  t.equal(wheel.nextDeadline(), undefined);
  for (const id of ids) t.equal(wheel.cancel(id), false);
  clock.time = 2 ** 41;
  t.same(collect(wheel), []);
  const later = wheel.add(5, 'd');
  t.equal(wheel.nextDeadline(), 2 ** 41 + 5, 'the wheel works after clear');
  wheel.add(5, 'e');
  wheel.add(6, 'f');
  clock.time += 10;
  const fired: string[] = [];
  wheel.advance((payload) => {
    fired.push(payload);
    t.equal(wheel.clear(), 2, 'e and f were still pending');
  });
  t.same(fired, ['d'], 'the due timers dropped by clear did not fire');
  t.equal(wheel.remaining(later), false);
  t.equal(wheel.size, 0);
  t.end();
});

t.test('bad arguments throw InvalidArgumentError naming the argument', (t) => {
  const clock = new FakeClock(0);
  const wheel = new TimerWheel<string>({ clock });
  const bad: Array<[unknown, RegExp]> = [
    [-1, /delayMs must be a non-negative integer.*received number -1/],
    [1.5, /delayMs.*received number 1.5/],
    [Infinity, /delayMs.*received number Infinity/],
    [Number.NaN, /delayMs.*received number NaN/],
    ['10', /delayMs.*received string "10"/],
    [2 ** 53, /delayMs.*received number/],
  ];
  for (const [delay, message] of bad) {
    t.throws(() => wheel.add(delay as number, 'x'), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message });
  }
  t.throws(() => wheel.advance(undefined as unknown as () => void), {
    constructor: InvalidArgumentError,
    message: /fire must be a function; received undefined/,
  });
  t.throws(() => new TimerWheel({ tickMs: 0 }), { constructor: InvalidArgumentError, message: /options.tickMs must be a positive finite number.*received number 0/ });
  t.throws(() => new TimerWheel({ clock: {} as Clock }), { constructor: InvalidArgumentError, message: /options.clock must be an object with a now\(\) method/ });
  const broken = new TimerWheel<string>({ clock: { now: () => (clock.time === 0 ? 0 : Number.NaN) } });
  clock.time = 1;
  t.throws(() => broken.add(1, 'x'), { constructor: InvalidArgumentError, message: /clock.now\(\) must return a finite number.*received number NaN/ });
  t.equal(wheel.size, 0, 'a rejected add leaves nothing behind');
  t.end();
});

t.test('the default clock is performance.now()', (t) => {
  const wheel = new TimerWheel<string>();
  const before = performance.now();
  wheel.add(60_000, 'x');
  const after = performance.now();
  const deadline = wheel.nextDeadline()!;
  t.ok(deadline >= before + 60_000 && deadline <= after + 60_000);
  t.equal(collect(wheel).length, 0);
  t.end();
});

// ---- randomized comparison against a reference model ------------------------------------

interface TimerApi {
  add(delayMs: number, payload: string): number;
  cancel(id: number): number | false;
  remaining(id: number): number | false;
  advance(fire: (payload: string, id: number) => void): number;
  nextDeadline(): number | undefined;
  readonly size: number;
}

/** The reference: every pending timer in an array; advance filters and sorts. Obviously slow, hopefully obviously right. */
class ModelWheel implements TimerApi {
  pending: Array<{ id: number; deadline: number; payload: string }> = [];
  due = new Map<number, { id: number; deadline: number; payload: string }>();
  nextId = 1;
  constructor(readonly clock: Clock) {}
  left(deadline: number): number {
    return Math.max(0, Math.ceil(deadline - this.clock.now() - 1e-6));
  }
  add(delayMs: number, payload: string): number {
    const id = this.nextId++;
    this.pending.push({ id, deadline: this.clock.now() + delayMs, payload });
    return id;
  }
  cancel(id: number): number | false {
    const index = this.pending.findIndex((p) => p.id === id);
    if (index >= 0) {
      const [timer] = this.pending.splice(index, 1);
      return this.left(timer!.deadline);
    }
    const due = this.due.get(id);
    if (due === undefined) return false;
    this.due.delete(id);
    return this.left(due.deadline);
  }
  remaining(id: number): number | false {
    const timer = this.pending.find((p) => p.id === id) ?? this.due.get(id);
    return timer === undefined ? false : this.left(timer.deadline);
  }
  advance(fire: (payload: string, id: number) => void): number {
    const now = this.clock.now();
    const due = this.pending.filter((p) => p.deadline <= now).sort((a, b) => a.deadline - b.deadline || a.id - b.id);
    this.pending = this.pending.filter((p) => p.deadline > now);
    for (const timer of due) this.due.set(timer.id, timer);
    let fired = 0;
    for (const timer of due) {
      if (!this.due.delete(timer.id)) continue;
      fired++;
      fire(timer.payload, timer.id);
    }
    return fired;
  }
  nextDeadline(): number | undefined {
    const all = [...this.pending, ...this.due.values()];
    return all.length === 0 ? undefined : Math.min(...all.map((p) => p.deadline));
  }
  get size(): number {
    return this.pending.length + this.due.size;
  }
}

function randomDelay(random: () => number): number {
  const r = random();
  if (r < 0.1) return 0;
  if (r < 0.4) return Math.floor(random() * 70);
  if (r < 0.6) return Math.floor(random() * 5000);
  if (r < 0.75) return Math.floor(random() * 300_000);
  if (r < 0.85) return 2 ** 24 + Math.floor(random() * 200) - 100;
  if (r < 0.92) return Math.floor(random() * 2 ** 33);
  if (r < 0.97) return 2 ** 36 + Math.floor(random() * 5000) - 2500;
  return Math.floor(random() * 2 ** 44);
}

function randomStep(random: () => number, fractional: boolean): number {
  const r = random();
  let step: number;
  if (r < 0.15) step = 0;
  else if (r < 0.55) step = Math.floor(random() * 4);
  else if (r < 0.8) step = Math.floor(random() * 100);
  else if (r < 0.93) step = Math.floor(random() * 20_000);
  else if (r < 0.98) step = Math.floor(random() * 2 ** 26);
  else step = Math.floor(random() * 2 ** 38);
  if (fractional && random() < 0.5) step += Math.floor(random() * 8) / 8;
  return step;
}

/** Runs one seeded script on an API and returns the log of every answer. */
function runScript(api: TimerApi, clock: FakeClock, seed: number, operations: number, fractional: boolean): string[] {
  const random = mulberry32(seed);
  const log: string[] = [];
  const ids: number[] = [];
  let payloads = 0;
  const pickId = (): number => (ids.length === 0 || random() < 0.05 ? 1_000_000 + Math.floor(random() * 10) : ids[Math.floor(random() * ids.length)]!);
  const fire = (payload: string, id: number): void => {
    log.push(`fire ${id} ${payload} size=${api.size}`);
    const r = random();
    if (r < 0.2) {
      const delay = random() < 0.5 ? 0 : randomDelay(random);
      const newId = api.add(delay, `p${payloads++}`);
      ids.push(newId);
      log.push(`  add-in-fire ${delay} -> ${newId}`);
    } else if (r < 0.35) {
      const target = pickId();
      log.push(`  cancel-in-fire ${target} -> ${api.cancel(target)}`);
    } else if (r < 0.42) {
      const target = pickId();
      log.push(`  remaining-in-fire ${target} -> ${api.remaining(target)}`);
    } else if (r < 0.47) {
      log.push(`  next-in-fire ${api.nextDeadline()}`);
    }
  };
  for (let op = 0; op < operations; op++) {
    const r = random();
    if (r < 0.38) {
      const delay = randomDelay(random);
      const id = api.add(delay, `p${payloads++}`);
      ids.push(id);
      log.push(`add ${delay} at ${clock.time} -> ${id}`);
    } else if (r < 0.5) {
      const target = pickId();
      log.push(`cancel ${target} at ${clock.time} -> ${api.cancel(target)}`);
    } else if (r < 0.58) {
      const target = pickId();
      log.push(`remaining ${target} at ${clock.time} -> ${api.remaining(target)}`);
    } else if (r < 0.66) {
      log.push(`next ${api.nextDeadline()} size=${api.size}`);
    } else {
      clock.time += randomStep(random, fractional);
      log.push(`advance to ${clock.time}`);
      log.push(`advanced ${api.advance(fire)} size=${api.size}`);
    }
  }
  clock.time += 2 ** 46;
  log.push(`final advance ${api.advance(fire)} size=${api.size} next=${api.nextDeadline()}`);
  return log;
}

function firstDifference(a: readonly string[], b: readonly string[]): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const context = a.slice(Math.max(0, i - 5), i).join('\n    ');
      return `line ${i}: wheel says "${a[i]}", model says "${b[i]}"\n  after:\n    ${context}`;
    }
  }
  return undefined;
}

t.test('randomized: fire order, cancel results, remaining and nextDeadline match the reference model exactly', (t) => {
  const seeds = [1, 2, 3, 0xbeef, 20240601];
  const extra = process.env['BEAMJS_SEED'] !== undefined ? Number(process.env['BEAMJS_SEED']) : (Date.now() ^ (process.pid << 8)) >>> 0;
  seeds.push(extra);
  const configs: Array<{ tickMs: number; start: number; fractional: boolean }> = [
    { tickMs: 1, start: 0, fractional: false },
    { tickMs: 1, start: 123456.5, fractional: true },
    { tickMs: 7, start: 1e12, fractional: true },
    { tickMs: 0.5, start: 3, fractional: true },
  ];
  for (const seed of seeds) {
    for (const config of configs) {
      const label = `seed ${seed} tickMs ${config.tickMs} start ${config.start}${config.fractional ? ' fractional' : ''}`;
      const wheelClock = new FakeClock(config.start);
      const modelClock = new FakeClock(config.start);
      const wheel = new TimerWheel<string>({ clock: wheelClock, tickMs: config.tickMs });
      const wheelLog = runScript(wheel as unknown as TimerApi, wheelClock, seed, 4000, config.fractional);
      const modelLog = runScript(new ModelWheel(modelClock), modelClock, seed, 4000, config.fractional);
      const difference = firstDifference(wheelLog, modelLog);
      t.equal(difference, undefined, `${label} (rerun with BEAMJS_SEED=${seed})`);
      t.ok(wheelLog.filter((line) => line.startsWith('fire')).length > 500, `${label}: the script fired many timers`);
    }
  }
  t.comment(`seeds: ${seeds.join(', ')}`);
  t.end();
});
