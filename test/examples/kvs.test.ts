import t from 'tap';
import { atom, P, tuple } from '../../src/index.js';
import { sameTerm } from '../process/fixtures/harness.js';
import { startExamplesVM } from './start_vm.js';

t.test('the kvs server stores and looks up values in its process dictionary, under the name kvs', async (t) => {
  const vm = await startExamplesVM(t);
  await vm.spawn('kvs', 'start', [vm.self]);
  const started = (await vm.receive(P.tuple(atom('kvs_started'), P.capture('pid')), 5000))!;
  sameTerm(t, await vm.whereis(atom('kvs')), started.pid as never, 'registered as kvs');
  const pairs = [[atom('weather'), atom('sunny')], [tuple(1, 2), 'pair'], [atom('weather'), atom('rainy')]];
  await vm.spawn('kvs', 'client', [vm.self, pairs, [atom('weather'), tuple(1, 2), atom('nothing')]]);
  const r = (await vm.receive(P.tuple(atom('kvs_results'), P.capture('results')), 5000))!;
  sameTerm(t, r.results as never, [tuple(atom('ok'), atom('rainy')), tuple(atom('ok'), 'pair'), undefined], '{ok, V} for stored keys (last store wins), undefined otherwise');
  const dict = await vm.processInfo(started.pid as never, atom('dictionary'));
  t.equal(((dict as unknown as { at(i: number): unknown[] }).at(1)).length, 2, 'the data lives in the process dictionary');
});
