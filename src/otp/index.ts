/**
 * src/otp: the OTP behaviours. Today: gen_server (gen_server.ts), gen_statem (gen_statem.ts, its
 * server loop in gen_statem_loop.ts) and supervisor (supervisor.ts). Importing this file defines
 * the `gen_server` and `gen_statem` modules (their server processes), so it must be loaded in
 * every scheduler thread: the VM's `modules` should include a file that imports it (any file
 * importing 'beamjs' does).
 */
export { GenServer } from './gen_server.js';
export type { From, ServerRef, StartOptions, CallTimeout } from './gen_server.js';
export { GenStatem } from './gen_statem.js';
export type { StatemEvent } from './gen_statem_loop.js';
export { Supervisor } from './supervisor.js';
