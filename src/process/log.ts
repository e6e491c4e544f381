/**
 * writeLog: hands a finished log text to the thread's logger hook (RuntimeOptions.logger), the
 * one the VM forwards from scheduler threads to the main thread through the mesh (behind the
 * signals sent before it). src/otp/logger.ts's default handler prints through it, so OTP's
 * reports and the runtime's own crash reports reach the same place (stderr, or the VM's
 * `logger` option; nothing when that option is false).
 *
 * Threads: scheduler thread, inside a process. Bad input: a level that is not one of the hook's
 * three is an InvalidArgumentError.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { currentProcess } from './process.js';
import type { LogLevel } from './runtime.js';

const LEVELS: ReadonlySet<string> = new Set(['error', 'warning', 'info']);

/** Writes `text` through the logger hook of the current process's runtime (a no-op if silenced). */
export function writeLog(level: LogLevel, text: string): void {
  if (!LEVELS.has(level)) throw new InvalidArgumentError(`writeLog: level must be 'error', 'warning' or 'info'; received ${describeValue(level)}`);
  const logger = currentProcess('writeLog').runtime.logger;
  if (logger === undefined) return;
  try {
    logger(level, text);
  } catch {
    // A broken hook must not crash the logging process (runtime.ts does the same).
  }
}
