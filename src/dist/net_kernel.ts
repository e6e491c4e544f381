/**
 * `net_kernel` for beamjs processes: `netKernel.monitorNodes(Flag[, Options])` (see
 * node_monitor.ts for the semantics and the path to the main thread).
 *
 * Threads: inside a process, on any scheduler thread.
 */
export { monitorNodes } from './node_monitor.js';
