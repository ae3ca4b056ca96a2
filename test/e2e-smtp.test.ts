// Mail through the SOCKS5 proxy, the way the SAP Cloud SDK mail client sends it: nodemailer gets
// its socket from the `socks` package (SAP method 0x80) instead of dialling, and talks SMTP to the
// virtual host mail.onprem:25 of the shipped default config, which the connector maps to the
// simulated on-premise mail server.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type net from 'node:net';
import nodemailer from 'nodemailer';
import { startSimulator } from '../src/simulator.js';
import { REPO_ROOT } from './helpers/cli-process.js';
import { sapSocksConnect } from './helpers/socks-client.js';

const sim = await startSimulator(join(REPO_ROOT, 'config/scc-sim.yaml'));
t.teardown(() => sim.close());
const token = await sim.token();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The decoded body of the MIME part whose headers contain `marker` (single-level multipart). */
function mimePart(raw: string, marker: string): { headers: string; body: string } | undefined {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  if (!boundary) return undefined;
  for (const part of raw.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    if (headers.includes(marker)) return { headers, body: part.slice(split + 4) };
  }
  return undefined;
}

t.test('a mail with a text body and a 1 MiB attachment, sent by nodemailer over the SOCKS socket, arrives intact', async (t) => {
  const sockets: net.Socket[] = [];
  t.teardown(() => { for (const s of sockets) s.destroy(); });
  const transporter = nodemailer.createTransport({
    host: 'mail.onprem', port: 25, secure: false, ignoreTLS: true,
    // nodemailer's proxy hook: the SMTP connection runs over the relayed socket
    getSocket(options, callback) {
      sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, host: String(options.host), port: Number(options.port) })
        .then((socket) => { sockets.push(socket); callback(null, { connection: socket }); }, (err: Error) => callback(err, undefined));
    },
  });
  t.teardown(() => transporter.close());

  const attachment = randomBytes(1024 * 1024);
  const subject = 'scc-sim SOCKS5 mail test';
  const text = 'Hello from the cloud, through the Cloud Connector.';
  const info = await transporter.sendMail({
    from: 'app@cloud.example.com', to: 'alice@onprem.example.com', subject, text,
    attachments: [{ filename: 'payload.bin', content: attachment, contentType: 'application/octet-stream' }],
  });

  t.equal(sockets.length, 1, 'nodemailer took its connection from getSocket, i.e. from the SOCKS5 proxy');
  t.match(info.response, /^250 /, 'the mail server accepted the message');
  t.same(info.accepted, ['alice@onprem.example.com']);

  const messages = sim.backends.mail.messages!;
  t.equal(messages.length, 1, 'the on-premise mail server received one message');
  const mail = messages[0];
  t.equal(mail.from, 'app@cloud.example.com');
  t.same(mail.to, ['alice@onprem.example.com']);
  t.equal(mail.sha256, sha256(mail.raw), 'the stored digest is that of the raw message');

  const raw = mail.raw.toString('latin1');
  t.match(raw, new RegExp(`^Subject: ${subject}\r$`, 'm'), 'the subject header arrived');
  t.match(raw, new RegExp(`^Message-ID: ${info.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\r$`, 'm'), 'the Message-ID is the one nodemailer sent');

  const textPart = mimePart(raw, 'Content-Type: text/plain');
  t.ok(textPart, 'a text/plain part arrived');
  t.equal(textPart?.body.trimEnd(), text, 'the text body arrived unchanged');

  const filePart = mimePart(raw, 'filename=payload.bin');
  t.ok(filePart, 'the attachment part arrived');
  t.match(filePart?.headers ?? '', /Content-Transfer-Encoding: base64/);
  const decoded = Buffer.from((filePart?.body ?? '').replace(/\s+/g, ''), 'base64');
  t.equal(decoded.length, attachment.length, 'the attachment has its full 1 MiB');
  t.equal(sha256(decoded), sha256(attachment), 'the attachment decodes to exactly the bytes sent');
});

t.test('with a token whose signature is corrupted, sendMail fails with the SOCKS authentication error and no mail arrives', async (t) => {
  const before = sim.backends.mail.messages!.length;
  const transporter = nodemailer.createTransport({
    host: 'mail.onprem', port: 25, secure: false, ignoreTLS: true,
    getSocket(options, callback) {
      sapSocksConnect({ proxyPort: sim.ports.socks5Port, token: `${token}x`, host: String(options.host), port: Number(options.port) })
        .then((socket) => callback(null, { connection: socket }), (err: Error) => callback(err, undefined));
    },
  });
  t.teardown(() => transporter.close());
  await t.rejects(transporter.sendMail({ from: 'app@cloud.example.com', to: 'bob@onprem.example.com', subject: 'never', text: 'never' }),
    { message: 'Socks5 Authentication failed' });
  t.equal(sim.backends.mail.messages!.length, before, 'the mail server received nothing');
});
