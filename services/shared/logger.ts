// One pino setup for every service: same field names, secrets redacted, pretty only on a TTY.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers["proxy-authorization"]',
  'req.headers.authorization',
  'req.headers["sap-connectivity-authentication"]',
  'req.headers["sap-connectivity-technical-authentication"]',
  'headers["proxy-authorization"]',
  'headers.authorization',
  '*.token', '*.access_token', '*.clientsecret', '*.client_secret', '*.cloudPassword', '*.password',
];

export function loggerOptions(level: string, name?: string): LoggerOptions {
  return {
    level,
    name,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
  };
}

/** A logger for the CLI: pretty on a TTY, JSON lines otherwise. */
export function createLogger(level: string, name?: string, pretty = Boolean(process.stdout.isTTY)): Logger {
  const opts = loggerOptions(level, name);
  if (pretty && level !== 'silent') {
    return pino({ ...opts, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } } });
  }
  return pino(opts);
}

/** A logger that writes nothing: the default in tests and in startSimulator. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
