// An on-premise mail server (a server-speaks-first protocol) built on the smtp-server package:
// accepts any sender and recipient without authentication, keeps the received messages in memory
// (the newest 100) and logs each one.
import { createHash } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../shared/logger.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (RFC 5322) as received. */
  raw: Buffer;
  sha256: string;
}

export function createSmtpBackend(name: string, logger: Logger): { server: SMTPServer; messages: ReceivedMail[] } {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    name: `${name}.onprem.scc-sim`,
    banner: 'scc-sim on-premise mail server',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 64 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const mail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw, sha256: createHash('sha256').update(raw).digest('hex'),
        };
        messages.push(mail);
        if (messages.length > 100) messages.shift();
        logger.info({ backend: name, from: mail.from, to: mail.to, bytes: raw.length }, 'mail received');
        callback();
      });
    },
  });
  server.on('error', (err) => logger.debug({ err }, 'smtp session error'));
  return { server, messages };
}
