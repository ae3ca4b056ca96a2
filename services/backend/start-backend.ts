// Starts one configured backend of any kind and reports where it listens; shared by `scc-sim
// backend`, `scc-sim up` and startSimulator.
import type http from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import type { BackendConfig } from '../shared/config-schema.js';
import { listenFailed } from '../shared/http-listener.js';
import type { Logger } from '../shared/logger.js';
import { buildBackend } from './backend-service.js';
import { createSmtpBackend, type ReceivedMail } from './smtp-backend.js';
import { createTcpEchoServer } from './tcp-echo.js';

export interface RunningBackend {
  name: string;
  kind: BackendConfig['kind'];
  port: number;
  url: string;
  /** The listening server: an http.Server for kind http (tests may watch its 'request' events); a net.Server otherwise. */
  server: http.Server;
  /** Mails an smtp backend received. */
  messages?: ReceivedMail[];
  close(): Promise<void>;
}

export async function startBackend(b: BackendConfig, logger: Logger, port = b.port): Promise<RunningBackend> {
  const log = logger.child({ service: 'backend', backend: b.name });
  if (b.kind === 'http') {
    const app = buildBackend({ name: b.name, logger: log });
    await app.listen({ host: b.host, port }).catch(listenFailed(`backend "${b.name}"`, b.host, port));
    const bound = (app.server.address() as AddressInfo).port;
    return { name: b.name, kind: b.kind, port: bound, url: `http://${b.host}:${bound}`, server: app.server, close: () => app.close() };
  }
  let server: Server;
  let messages: ReceivedMail[] | undefined;
  let closeFn: () => Promise<void>;
  if (b.kind === 'tcp-echo') {
    server = createTcpEchoServer(log);
    closeFn = () => new Promise((resolve) => { server.close(() => resolve()); });
  } else {
    const smtp = createSmtpBackend(b.name, log);
    server = smtp.server.server;
    messages = smtp.messages;
    closeFn = () => new Promise((resolve) => { smtp.server.close(() => resolve()); });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: b.host, port }, () => { server.off('error', reject); resolve(); });
  }).catch(listenFailed(`backend "${b.name}"`, b.host, port));
  const bound = (server.address() as AddressInfo).port;
  const scheme = b.kind === 'smtp' ? 'smtp' : 'tcp';
  return { name: b.name, kind: b.kind, port: bound, url: `${scheme}://${b.host}:${bound}`, server: server as http.Server, messages, close: closeFn };
}

