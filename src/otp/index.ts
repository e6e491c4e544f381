/**
 * src/otp: the OTP behaviours and their libraries: gen_server (gen_server.ts), gen_statem
 * (gen_statem.ts, its server loop in gen_statem_loop.ts), supervisor (supervisor.ts), gen_event
 * (gen_event.ts), the application behaviour with its controller (application.ts), proc_lib
 * (proc_lib.ts), sys (sys.ts), logger (logger.ts), the behaviours' names (gen_names.ts). Importing this file defines their modules
 * (gen_server, gen_statem, gen_event, supervisor, application_controller, proc_lib, logger,
 * logger_std_h, logger_send_h, …), so it must be loaded in every scheduler thread: the VM's
 * `modules` should include a file that imports it (any file importing 'beamjs' does).
 */
export { GenServer } from './gen_server.js';
export type { From, ServerRef, StartOptions, CallTimeout } from './gen_server.js';
export { GenStatem } from './gen_statem.js';
export type { StatemStartOptions } from './gen_statem.js';
export type { StatemEvent } from './gen_statem_loop.js';
export { Supervisor } from './supervisor.js';
export { GenEvent } from './gen_event.js';
export type { Handler, ManagerOptions } from './gen_event.js';
export { Application } from './application.js';
export type { AppSpec, LoadOptions, ControllerOptions, RestartType } from './application.js';
export { ProcLib, PROC_LIB_KEYS, defineInitialCall } from './proc_lib.js';
export { checkName, registerName, unregisterName, whereisRef, reportName, viaWhereis } from './gen_names.js';
export type { GenName } from './gen_names.js';
export { Sys, handleSystemMessage, debugEvent, newDebug, systemCall } from './sys.js';
export type { SysDebug, SysEvent, SysName, SystemAdapter, PrintEvent } from './sys.js';
export { Logger as OtpLogger, formatEvent, formatReport, levelPasses, legacyTime } from './logger.js';
// `OtpLogger`: the runtime's `Logger` (the hook type of src/process) already has the name.
export type { Level, ConfigLevel, LogEvent, LogMessage } from './logger.js';
