/**
 * The atoms the process layer uses, interned once per thread (atoms are per-thread objects).
 * Thread-safety: module constants of this thread.
 */
import { atom } from '../term/index.js';

export const A_NORMAL = atom('normal');
export const A_KILL = atom('kill');
export const A_KILLED = atom('killed');
export const A_NOPROC = atom('noproc');
export const A_SHUTDOWN = atom('shutdown');
export const A_EXIT = atom('EXIT');
export const A_DOWN = atom('DOWN');
export const A_PROCESS = atom('process');
export const A_TIMEOUT = atom('timeout');
export const A_UNDEF = atom('undef');
export const A_BADARG = atom('badarg');
export const A_ERLANG = atom('erlang');
export const A_APPLY = atom('apply');
export const A_MONITOR = atom('monitor');
export const A_LONG_SCHEDULE = atom('long_schedule');
export const A_IN = atom('in');
export const A_OUT = atom('out');
