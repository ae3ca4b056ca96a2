// A pino logger whose lines a test can read and wait for (as events, not sleeps).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { loggerOptions } from '../../services/shared/logger.js';

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, any>>;
  /** Every line as JSON text, one per line: for "never contains" assertions. */
  text(): string;
  waitFor(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: Array<Record<string, any>> = [];
  const waiters = new Set<() => void>();
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      for (const w of waiters) w();
      cb();
    },
  });
  const logger = pino(loggerOptions(level), stream);
  return {
    logger, lines,
    text: () => lines.map((l) => JSON.stringify(l)).join('\n'),
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(predicate);
          if (hit) { clearTimeout(timer); waiters.delete(check); resolve(hit); }
        };
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no such log line; have:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)); }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
