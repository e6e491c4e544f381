/**
 * src/otp: the OTP behaviours. Today: gen_server (gen_server.ts) and supervisor (supervisor.ts). Importing this file defines
 * the `gen_server` module (its server process), so it must be loaded in every scheduler thread:
 * the VM's `modules` should include a file that imports it (any file importing 'beamjs' does).
 */
export { GenServer } from './gen_server.js';
export type { From, ServerRef, StartOptions, CallTimeout } from './gen_server.js';
export { Supervisor } from './supervisor.js';
