// The Cloud Connector's admin pages (the SCC's administration UI, simplified): plain HTML, CSS and
// JavaScript from pages/, served by @fastify/static on the admin server, behind its Basic auth.
// The page at `GET /` calls only the admin REST API (same origin; the browser reuses the Basic
// auth credentials for fetch): what it changes takes the REST API's code path, so it applies to
// the next request. The REST API is under /api and /exposed; the pages' files under /pages/.
//
// tsc does not copy pages/ to dist/: the folder is found at run time next to this file (running
// from the sources) or in the package's services/ folder (running from dist/; the Docker image
// copies it there too).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteOptions } from './routes/route-context.js';

/** Nothing but the admin server itself: no CDN, no inline script, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function pagesFolder(): string {
  const candidates = [new URL('./pages/', import.meta.url), new URL('../../../../services/connector/admin/pages/', import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((dir) => existsSync(`${dir}index.html`));
  if (found === undefined) throw new Error(`the admin pages are missing: no index.html in ${candidates.map((u) => fileURLToPath(u)).join(' or ')}`);
  return found;
}

export const adminPages: FastifyPluginAsync<RouteOptions> = async (app) => {
  const root = pagesFolder();
  await app.register(async (pages) => {
    pages.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    });
    await pages.register(fastifyStatic, { root, prefix: '/pages/', index: false, cacheControl: false, etag: true, lastModified: false });
    pages.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').sendFile('index.html'));
  });
};
