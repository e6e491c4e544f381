// SharedHeap (src/ets/shared_heap.ts): size classes, reuse of freed blocks, growth of the
// growable SharedArrayBuffer seen through views made before it, HeapExhausted, double free.
import t from 'tap';
import { BeamError, ErrorCode } from '../../src/errors/index.js';
import { HeapExhausted, SharedHeap, sizeClass } from '../../src/ets/shared_heap.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return BeamError.is(error) ? error.code : 'not a BeamError';
  }
  return undefined;
}

t.test('size classes: multiples of 8 to 128, then four per power of two, never below the request', async (t) => {
  t.same(sizeClass(1), { cls: 0, size: 8 });
  t.same(sizeClass(128), { cls: 15, size: 128 });
  t.same(sizeClass(129), { cls: 16, size: 160 });
  t.same(sizeClass(256), { cls: 19, size: 256 });
  t.same(sizeClass(257), { cls: 20, size: 320 });
  let last = -1;
  const bad: number[] = [];
  for (let n = 1; n < 100_000; n += 7) {
    const { cls, size } = sizeClass(n);
    if (size < n || size > Math.max(8, n * 1.25 + 8) || cls < last || size % 8 !== 0) bad.push(n);
    last = cls;
  }
  t.same(bad, [], 'every size fits its class, with at most 25% rounding, classes monotonic');
});

t.test('freed blocks are reused; used() counts what is allocated', async (t) => {
  const heap = SharedHeap.create(4096, 1 << 20);
  const a = heap.alloc(100);
  const b = heap.alloc(100);
  t.equal(a % 8, 0, '8-byte aligned');
  t.not(a, b);
  t.equal(heap.used(), 2 * (104 + 8), 'two 104-byte blocks and their headers');
  heap.free(a);
  t.equal(heap.alloc(97), a, 'the freed block of the same class is reused');
  t.equal(codeOf(() => heap.free(a + 8)), ErrorCode.SHM_CORRUPT, 'freeing a non-block');
  heap.free(b);
  t.throws(() => heap.free(b), /not allocated/, 'a double free is caught');
});

t.test('the buffer grows and views made before see the new length; HeapExhausted at the maximum', async (t) => {
  const heap = SharedHeap.create(4096, 1 << 16);
  const view = new Uint8Array(heap.buffer);
  const big = heap.alloc(10_000);
  t.ok(heap.byteLength >= big + 10_000, 'grew');
  view[big + 9_999] = 7;
  t.equal(new Uint8Array(heap.buffer)[big + 9_999], 7, 'an old view reaches the grown part');
  let thrown: unknown;
  try {
    heap.alloc(1 << 17);
  } catch (error) {
    thrown = error;
  }
  t.ok(thrown instanceof HeapExhausted && (thrown as BeamError).code === ErrorCode.SYSTEM_LIMIT, 'HeapExhausted (system_limit) past maxBytes');
  t.throws(() => heap.alloc(0), /bytes must be an integer/, 'a bad size names the argument');
});
