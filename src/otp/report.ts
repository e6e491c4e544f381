/**
 * report: the reports OTP behaviours write (gen_event's "handler crashed" error report,
 * application's "exited" info report), in the shape OTP's default logger formatter prints:
 *
 *     =INFO REPORT==== 3-Dec-2026::10:59:17.028 ===
 *         application: app3
 *         exited: killed
 *         type: temporary
 *
 * They go to the VM's logger (VMOptions.logger; `false` silences them), the one that gets crash
 * reports. Threads: called from a process (the calling process's scheduler thread and its
 * runtime's logger); outside a process it does nothing. A logger that throws is ignored, as the
 * runtime ignores it for crash reports.
 */
import { currentProcessOrUndefined } from '../process/process.js';
import type { LogLevel } from '../process/index.js';

/** OTP's report date: 3-Dec-2026::10:59:17.028 (local time, ms). */
export function reportDate(): string {
  const d = new Date();
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getDate()}-${months[d.getMonth()]}-${d.getFullYear()}::${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const HEADINGS: Record<LogLevel, string> = { error: 'ERROR REPORT', warning: 'WARNING REPORT', info: 'INFO REPORT' };

/** Writes `=LEVEL REPORT==== date ===\n` + body (each body line as given) to the VM's logger. */
export function logReport(level: LogLevel, body: string): void {
  const logger = currentProcessOrUndefined()?.runtime.logger;
  if (logger === undefined) return;
  try {
    logger(level, `=${HEADINGS[level]}==== ${reportDate()} ===\n${body.endsWith('\n') ? body : `${body}\n`}`);
  } catch {
    // A broken logger must not take the behaviour down (as for the runtime's crash reports).
  }
}
