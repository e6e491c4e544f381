/**
 * src/process: Erlang processes on a scheduler: spawn, send, selective receive, links,
 * monitors, names, the process dictionary, timers, exit reasons. Public surface of the folder.
 *
 * A process body is a generator function; it suspends with `yield*` helpers. Naming rule:
 * Erlang's snake_case in camelCase; JS keywords get a trailing underscore (throw_, yield_).
 */
export { defineModule, isModuleDefined } from './module_registry.js';
export type { ProcessFunction, ModuleExports } from './module_registry.js';
export {
  self,
  node,
  schedulerId,
  makeRef,
  send,
  spawn,
  spawnLink,
  spawnMonitor,
  spawnOpt,
  link,
  unlink,
  exit,
  monitor,
  demonitor,
  register,
  unregister,
  whereis,
  registered,
  isProcessAlive,
  processes,
  groupLeader,
  processFlag,
  processInfo,
  put,
  get,
  erase,
  getKeys,
  systemMonitor,
} from './bifs.js';
export type { Dest, SpawnOptions } from './bifs.js';
export { receive, sleep, yield_, awaitPromise } from './receive.js';
export type { Timeout, ReceivePattern, ReceiveSignatures, ProcessGenerator, ProcessStep } from './receive.js';
export { receivePortable } from './portable_wait.js';
export type { PortableResume, ResumeSpec } from './portable_wait.js';
export { sendAfter, startTimer, cancelTimer, readTimer } from './timers.js';
export { ErlangException, caught, error, throw_ } from './exception.js';
export type { Caught, ExceptionClass } from './exception.js';
export type { MessageMatcher } from './mailbox.js';
export type { ProcessInfoItem } from './process_info.js';
export type { Logger, LogLevel } from './runtime.js';
export { REDUCTION_BUDGET } from './process.js';
export { DEFAULT_PROCESS_LIMIT } from './process_table.js';
export { dirtyCall } from './dirty_call.js';
export type { DirtyRequest } from './dirty_call.js';
export { writeLog } from './log.js';
