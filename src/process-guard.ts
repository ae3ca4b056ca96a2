// The CLI's last line of defence: an exception or rejection that no code handled is logged with
// context (which command, which service, which kind) and the process exits 1 — a crash that says
// what happened instead of a bare stack trace, and no process running on in an unknown state. It
// is not how any fault is handled: every known one is answered where it happens (issue 11).
import type { Logger } from '../services/shared/logger.js';

export function installProcessGuard(logger: Logger, context: Record<string, unknown>): void {
  const stop = (origin: 'uncaughtException' | 'unhandledRejection') => (err: unknown) => {
    logger.fatal({ ...context, origin, pid: process.pid, err }, `unexpected ${origin === 'uncaughtException' ? 'exception' : 'unhandled rejection'}: scc-sim stops`);
    logger.flush();
    process.exit(1);
  };
  process.on('uncaughtException', stop('uncaughtException'));
  process.on('unhandledRejection', stop('unhandledRejection'));
}
