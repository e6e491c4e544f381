/**
 * beamjs: the package's public surface.
 *
 *   - terms (src/term): Atom, Tuple, Pid, Ref, …, equality, order, printing, patterns (P);
 *   - processes (src/process): spawn, send, receive, links, monitors, names, timers, …;
 *   - the embedding API (src/vm.ts): VM.start, vm.spawn, vm.send, vm.receive, vm.stop;
 *   - errors (src/errors): BeamError and its codes.
 * The codec (term_to_binary / binary_to_term) is also exported as the `beamjs/codec` subpath.
 *
 * Thread-safety: see each module; everything here is per thread.
 */
export * from './term/index.js';
export * from './process/index.js';
export { VM } from './vm.js';
export type { VMOptions, VMSpawnOptions } from './vm.js';
export type { Priority } from './sched/index.js';
export {
  BeamError,
  ErrorCode,
  InvalidArgumentError,
  BadExternalTermError,
  describeValue,
  rebuildError,
} from './errors/index.js';
export * from './otp/index.js';
export { ets, HeapExhausted, registerStoreFactory } from './ets/index.js';
export type { Tab, TableStore, TableStoreFactory, TableType, StoreConcurrency } from './ets/index.js';
export { compileMatchSpec, compileMatchPattern, matchSpecRun, testMs, NO_MATCH as MATCH_SPEC_NO_MATCH } from './ets/match_spec.js';
export type { CompiledMatchSpec, MatchContext } from './ets/match_spec.js';
export { DistNode, DistProtocolError, NetKernelError, EpmdServer, ensureEpmd, GlobalNames, Global, rpc, ping, defaultCookie, monitorNode, nodes, netKernel } from './dist/index.js';
export type { DistOptions, NodeEvent } from './dist/index.js';
