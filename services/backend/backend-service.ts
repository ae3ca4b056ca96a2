// The "on-premise" system behind the Cloud Connector: the blog's Hello World server plus the
// diagnostic routes tests use to see what arrived (echo), to provoke answers (status, delay,
// redirect), to move large bodies both ways (bytes, upload), and WebSocket echo (/ws/echo).
// Builds the app; never listens.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { fastifyListenerOptions } from '../shared/http-listener.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { patternSha256, patternStream } from './byte-pattern.js';
import { addWebSocketRoutes } from './websocket-routes.js';

export interface BackendOptions {
  /** Shown in every echo answer, so a test can tell which backend a request reached. */
  name: string;
  logger?: Logger;
}

export const MAX_DELAY_MS = 60_000;
export const MAX_PATTERN_BYTES = 8 * 1024 ** 3;

export interface BodyDigest { bytes: number; sha256: string }

/** Counts and hashes a body while it streams through; never holds more than one chunk. */
export async function digestBody(body: AsyncIterable<Buffer | string>): Promise<BodyDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buf.length;
    hash.update(buf);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The body as a stream: the catch-all parser's payload, or the raw request for bodyless methods (GET, HEAD, …). */
function bodyStream(request: FastifyRequest): Readable {
  return request.body instanceof Readable ? request.body : request.raw;
}

/** What arrived, as received: the raw request target split at the first `?`, and every header. */
function describeRequest(name: string, request: FastifyRequest) {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return {
    backend: name,
    method: request.method,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    url,
    headers: request.headers,
  };
}

const StatusParams = Type.Object({ code: Type.Integer({ minimum: 200, maximum: 599 }) });
const StatusQuery = Type.Object({ location: Type.Optional(Type.String({ minLength: 1 })) });
const DelayParams = Type.Object({ ms: Type.Integer({ minimum: 0, maximum: MAX_DELAY_MS }) });
const BytesParams = Type.Object({ n: Type.Integer({ minimum: 0, maximum: MAX_PATTERN_BYTES }) });
const BytesQuery = Type.Object({ chunked: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')])) });
const RedirectQuery = Type.Object({ to: Type.String({ pattern: '^/', default: '/' }) });
const CookieQuery = Type.Object({ domain: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9.-]+$' }) });

export function buildBackend(opts: BackendOptions): FastifyInstance {
  const { name } = opts;
  const app = Fastify({
    loggerInstance: opts.logger ?? silentLogger(),
    // A backend that goes away drops its connections, as a killed process would; also ends
    // long downloads and delays so close() never waits on them.
    forceCloseConnections: true,
    // Timeouts and head limit set explicitly, as on every listener (http-listener.ts defaults).
    ...fastifyListenerOptions(),
  }) as unknown as FastifyInstance;

  // Routes that take any body: the raw stream reaches the handler unparsed and without a size limit.
  app.register(async function streamedBodies(scope) {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    const echo = async (request: FastifyRequest) => ({
      ...describeRequest(name, request),
      ...renameDigest(await digestBody(bodyStream(request))),
    });
    scope.all('/echo', echo);
    scope.all('/echo/*', echo);

    const upload = async (request: FastifyRequest) => digestBody(bodyStream(request));
    scope.post('/upload', upload);
    scope.put('/upload', upload);
  });

  app.get('/', async (_request, reply) => {
    reply.type('text/plain; charset=utf-8');
    return 'Hello World!';
  });

  app.get('/headers', async (request) => describeRequest(name, request));

  app.get<{ Params: { code: number }; Querystring: { location?: string } }>('/status/:code', {
    schema: { params: StatusParams, querystring: StatusQuery },
  }, async (request, reply) => {
    const { code } = request.params;
    if (request.query.location !== undefined) reply.header('location', request.query.location);
    reply.code(code).type('text/plain; charset=utf-8');
    return `status ${code}`;
  });

  app.get<{ Params: { ms: number } }>('/delay/:ms', {
    schema: { params: DelayParams },
  }, (request, reply) => {
    const { ms } = request.params;
    const timer = setTimeout(() => {
      reply.type('text/plain; charset=utf-8').send(`delayed ${ms}`);
    }, ms);
    // The response's 'close' fires when the answer is done or the client went away; either way
    // the timer has nothing left to do. (The request's 'close' can fire as soon as its empty body
    // is read, so it is not the signal for a vanished client.)
    reply.raw.once('close', () => clearTimeout(timer));
    return reply;
  });

  app.get<{ Params: { n: number }; Querystring: { chunked?: string } }>('/bytes/:n', {
    schema: { params: BytesParams, querystring: BytesQuery },
  }, async (request, reply) => {
    const { n } = request.params;
    const chunked = request.query.chunked === '1' || request.query.chunked === 'true';
    reply.type('application/octet-stream');
    if (!chunked) reply.header('content-length', n);
    return reply.send(patternStream(n));
  });

  app.get<{ Params: { n: number } }>('/bytes/:n/sha256', {
    schema: { params: BytesParams },
  }, async (request, reply) => {
    reply.type('text/plain; charset=utf-8');
    return patternSha256(request.params.n);
  });

  app.get<{ Querystring: { to: string } }>('/redirect', {
    schema: { querystring: RedirectQuery },
  }, async (request, reply) => {
    // As a naive backend does: an absolute URL built from whatever Host header arrived.
    const host = request.headers.host ?? request.hostname;
    return reply.redirect(`http://${host}${request.query.to}`, 302);
  });

  // Cookie domains as a backend sets them (the connector's domain mappings rewrite them).
  app.get<{ Querystring: { domain: string } }>('/cookie', {
    schema: { querystring: CookieQuery },
  }, async (request, reply) => {
    reply.header('set-cookie', [`session=1; Domain=${request.query.domain}; Path=/`, 'plain=2; Path=/']);
    return reply.type('text/plain; charset=utf-8').send('cookie set');
  });

  // Which connection a request came on (the connector's pooled backend connections).
  app.get('/connection', async (request) => ({ backend: name, remotePort: request.socket.remotePort }));

  // WebSocket: /ws/echo and /ws/headers (websocket-routes.ts).
  addWebSocketRoutes(app, name);

  return app;
}

function renameDigest(d: BodyDigest): { bodyBytes: number; bodySha256: string } {
  return { bodyBytes: d.bytes, bodySha256: d.sha256 };
}
