/**
 * src/otp: the OTP behaviours: gen_server (gen_server.ts), gen_statem (gen_statem.ts, its server
 * loop in gen_statem_loop.ts), supervisor (supervisor.ts), gen_event (gen_event.ts) and the
 * application behaviour with its controller (application.ts). Importing this file defines their
 * modules (`gen_server`, `gen_statem`, `gen_event`, `application_controller`, …), so it must be
 * loaded in every scheduler thread: the VM's `modules` should include a file that imports it
 * (any file importing 'beamjs' does).
 */
export { GenServer } from './gen_server.js';
export type { From, ServerRef, StartOptions, CallTimeout } from './gen_server.js';
export { GenStatem } from './gen_statem.js';
export type { StatemEvent } from './gen_statem_loop.js';
export { Supervisor } from './supervisor.js';
export { GenEvent } from './gen_event.js';
export type { Handler, ManagerOptions } from './gen_event.js';
export { Application } from './application.js';
export type { AppSpec, LoadOptions, ControllerOptions, RestartType } from './application.js';
