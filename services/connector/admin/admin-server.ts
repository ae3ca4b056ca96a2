// The connector's admin server: fastify over HTTPS (a certificate of the simulator CA), Basic auth
// (@fastify/basic-auth, credentials compared in constant time, read from the live config so a
// password change applies at once) on every route — also unknown ones — and the SCC's REST API
// (routes/*.ts) over the operations of admin-operations.ts. Bodies: JSON only, at most BODY_LIMIT
// bytes; an unknown field or a wrong type is an error naming the field, never silently dropped.
// Every error is SAP's `{ type, message }`.
//
// After the REST routes come the admin pages (admin-pages.ts: `GET /` and /pages/, which only
// call the REST API), then any further plugins given as `plugins`, all with the same options.
import { createHash, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import basicAuth from '@fastify/basic-auth';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { ConfigStore } from '../../shared/config-store.js';
import type { Logger } from '../../shared/logger.js';
import type { SimCa } from '../../shared/sim-ca.js';
import { invalid, SccApiError } from './admin-errors.js';
import type { AdminOperations } from './admin-operations.js';
import { adminPages } from './admin-pages.js';
import { auditLogRoutes } from './routes/audit-log-routes.js';
import { eventStreamRoutes } from './routes/event-stream-routes.js';
import { domainMappingRoutes } from './routes/domain-mapping-routes.js';
import { monitoringRoutes } from './routes/monitoring-routes.js';
import { resourceRoutes } from './routes/resource-routes.js';
import type { RouteOptions } from './routes/route-context.js';
import { subaccountRoutes } from './routes/subaccount-routes.js';
import { systemMappingRoutes } from './routes/system-mapping-routes.js';
import { versionRoutes } from './routes/version-routes.js';
import { validationMessage } from './validation-message.js';
import { listenerOptions } from '../../shared/http-listener.js';

export const BODY_LIMIT = 64 * 1024;
const REALM = 'SAP Cloud Connector (scc-sim)';

export interface AdminServerOptions {
  operations: AdminOperations;
  store: ConfigStore;
  connector: string;
  ca: SimCa;
  logger: Logger;
  /** More plugins on the same app (and the same Basic auth), registered after the REST API and the admin pages. */
  plugins?: Array<FastifyPluginAsync<RouteOptions>>;
}

export interface AdminServer {
  readonly app: FastifyInstance;
  /** `https://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export async function buildAdminApp(opts: AdminServerOptions, tls: { key: string; cert: string }): Promise<FastifyInstance> {
  const credentials = () => {
    const k = opts.store.config.connectors.find((c) => c.name === opts.connector);
    return k && { user: k.adminUser, password: k.adminPassword };
  };
  const timeouts = opts.store.config.proxy;
  const app = Fastify({
    // The listener timeouts of every scc-sim listener (http-listener.ts; Fastify answers 408 and 431 itself).
    https: { ...listenerOptions(timeouts), key: tls.key, cert: tls.cert },
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    loggerInstance: opts.logger.child({ component: 'admin-server' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    schemaErrorFormatter: (errors) => invalid(validationMessage(errors)),
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415

  await app.register(basicAuth, {
    authenticate: { realm: REALM },
    validate: async (user, password, request) => {
      const c = credentials();
      // Both compared, always, in constant time: the answer does not tell which one was wrong.
      const ok = timingSafeEqual(digest(user), digest(c?.user ?? '\u0000')) && c !== undefined;
      const right = timingSafeEqual(digest(password), digest(c?.password ?? '\u0000'));
      if (!ok || !right) throw new SccApiError('FORBIDDEN_REQUEST', 'Authentication failed', 401);
      request.sccUser = user;
    },
  });
  app.addHook('onRequest', app.basicAuth);
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = asSccError(err);
    if (answer.statusCode >= 500) request.log.error({ err }, 'admin API request failed');
    else request.log.info({ method: request.method, url: request.url, status: answer.statusCode, type: answer.type, message: answer.message }, 'admin API refused');
    return reply.code(answer.statusCode).send(answer.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(new SccApiError('NOT_FOUND', `No such resource: ${request.method} ${request.url.split('?')[0]}`).toJSON()));

  const routeOptions: RouteOptions = { operations: opts.operations };
  for (const routes of [versionRoutes, subaccountRoutes, systemMappingRoutes, resourceRoutes, domainMappingRoutes, auditLogRoutes, monitoringRoutes, eventStreamRoutes, adminPages, ...(opts.plugins ?? [])]) {
    await app.register(routes, routeOptions);
  }
  return app;
}

/** Any error a request can end in, as SAP's `{type, message}` with its status. */
function asSccError(err: FastifyError): SccApiError {
  if (err instanceof SccApiError) return err;
  if (err.statusCode === 401) return new SccApiError('FORBIDDEN_REQUEST', 'Authentication required', 401);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new SccApiError('INVALID_REQUEST', `The request body is larger than ${BODY_LIMIT} bytes`, 413);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new SccApiError('INVALID_REQUEST', 'Unsupported content type: request bodies must be application/json', 415);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new SccApiError('INVALID_REQUEST', err.code?.startsWith('FST_ERR_CTP') ? `The request body is not valid JSON: ${err.message}` : err.message, err.statusCode);
  }
  return new SccApiError('RUNTIME_FAILURE', err.message || 'Internal error');
}

/** Builds the app, listens on the connector's adminHost/adminPort and logs the URL. */
export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const k = opts.store.config.connectors.find((c) => c.name === opts.connector)!;
  const wildcard = ['0.0.0.0', '::', ''].includes(k.adminHost);
  const names = [...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...(wildcard ? [] : [k.adminHost])])];
  const cert = await opts.ca.issueServerCert(names);
  const app = await buildAdminApp(opts, { key: cert.keyPem, cert: cert.certPem });
  try {
    await app.listen({ host: k.adminHost, port: k.adminPort });
  } catch (err) {
    await app.close();
    throw new Error(`connector ${k.name}: cannot open the admin port ${k.adminHost}:${k.adminPort} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set adminPort`, { cause: err });
  }
  const { port } = app.server.address() as AddressInfo;
  const host = wildcard ? '127.0.0.1' : k.adminHost.includes(':') ? `[${k.adminHost}]` : k.adminHost;
  const url = `https://${host}:${port}`;
  opts.logger.info({ url, user: k.adminUser }, 'admin API listening');
  return { app, url, port, close: () => app.close() };
}
