// The browser side of the authorization-code login (reference/xsuaa-login.md):
//   GET  /oauth/authorize  response_type=code, client_id, redirect_uri, state, PKCE → a code for a
//                          logged-in browser, else the login page (/login)
//   GET  /login            the form;  POST /login.do  checks it, starts the login session
//   GET  /logout.do        ends the login session; follows `redirect` if the client may go there
// An unknown client or a redirect_uri the client may not use gets an error page, never a redirect
// (RFC 6749 §4.1.2.1); other errors of a valid request go back to redirect_uri as `error=…`.
import fastifyCookie from '@fastify/cookie';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import type { AuthorizationCodes } from './authorization-codes.js';
import type { ClientDirectory, ClientEntry } from './client-directory.js';
import { CSRF_COOKIE, CSRF_FIELD, errorPage, loggedOutPage, loginForm, PAGE_HEADERS } from './login-page.js';
import { SESSION_COOKIE, type LoginSessions } from './login-sessions.js';
import { readChallenge } from './pkce.js';
import { LOOPBACK_REDIRECT_URIS, matchRedirectUri } from './redirect-uri-matcher.js';
import { tenantOfHost } from './tenant-host.js';
import type { UserDirectory } from './user-directory.js';

export interface LoginEndpointsOptions {
  config: Config;
  clientDirectory: ClientDirectory;
  users: UserDirectory;
  codes: AuthorizationCodes;
  sessions: LoginSessions;
}

type Query = Record<string, string | undefined>;
type Target = { ok: true; entry: ClientEntry; redirectUri: string } | { ok: false; status: number; title: string; message: string };

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'prompt', 'idp', 'login_hint'];

export const loginEndpointsPlugin: FastifyPluginAsync<LoginEndpointsOptions> = async (scope, opts) => {
  const { config, clientDirectory, users, codes, sessions } = opts;
  await scope.register(fastifyCookie);

  /** The client and redirect_uri of an authorization request — or why the browser must not be sent anywhere. */
  function target(request: FastifyRequest, q: Query): Target {
    const refuse = (status: number, title: string, message: string): Target => ({ ok: false, status, title, message });
    const entry = q.client_id === undefined ? undefined : clientDirectory.byClientId(q.client_id);
    if (entry === undefined) return refuse(400, 'Unknown client', `No client with the requested id ${JSON.stringify(q.client_id ?? '')}.`);
    const host = tenantOfHost(request.headers.host, config.proxy.uaadomain);
    if (host.tenant && host.subdomain !== entry.subaccount.subdomain) {
      return refuse(400, 'Unknown client', `The client does not belong to the subaccount with subdomain ${host.subdomain}.`);
    }
    const patterns = entry.client['oauth2-configuration']['redirect-uris'] ?? LOOPBACK_REDIRECT_URIS;
    const decision = matchRedirectUri(q.redirect_uri ?? '', patterns);
    if (!decision.allowed) return refuse(400, 'Invalid redirect', `${decision.reason}. The browser is not sent back to it.`);
    return { ok: true, entry, redirectUri: q.redirect_uri! };
  }

  function sendPage(reply: FastifyReply, status: number, html: string) {
    return reply.code(status).headers(PAGE_HEADERS).send(html);
  }

  function back(reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>) {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
    return reply.code(302).header('cache-control', 'no-store').header('location', url.toString()).send();
  }

  const cookieOptions = (request: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: request.protocol === 'https' });

  scope.get('/oauth/authorize', async (request, reply) => {
    const q = pick(request.query);
    const t = target(request, q);
    if (!t.ok) return sendPage(reply, t.status, errorPage(t.title, t.message));
    if (q.response_type !== 'code') return back(reply, t.redirectUri, { error: 'unsupported_response_type', error_description: 'only response_type=code is supported', state: q.state });
    const pkce = readChallenge(q.code_challenge, q.code_challenge_method);
    if (!pkce.ok) return back(reply, t.redirectUri, { error: 'invalid_request', error_description: pkce.reason, state: q.state });
    const login = sessions.login(request.cookies[SESSION_COOKIE], t.entry.subaccount.subaccount);
    if (login === undefined) {
      if (q.prompt === 'none') return back(reply, t.redirectUri, { error: 'login_required', state: q.state });
      return reply.code(302).header('cache-control', 'no-store').header('location', `/login?${query(q)}`).send();
    }
    const code = codes.issue({
      clientId: t.entry.client.clientid, subaccount: t.entry.subaccount.subaccount, userName: login.userName,
      redirectUri: t.redirectUri, challenge: pkce.challenge, scope: q.scope, authTime: login.authTime,
    });
    request.log.info({ clientId: t.entry.client.clientid, subaccount: t.entry.subaccount.subaccount, userName: login.userName, pkce: pkce.challenge?.method ?? 'none' },
      'authorization code issued');
    return back(reply, t.redirectUri, { code, state: q.state });
  });

  function showForm(request: FastifyRequest, reply: FastifyReply, q: Query, status: number, failed?: { userName: string; error: string }) {
    const t = target(request, q);
    if (!t.ok) return sendPage(reply, t.status, errorPage(t.title, t.message));
    const csrf = request.cookies[CSRF_COOKIE] ?? randomBytes(18).toString('base64url');
    reply.setCookie(CSRF_COOKIE, csrf, cookieOptions(request));
    const s = t.entry.subaccount;
    return sendPage(reply, status, loginForm({
      zone: s.displayName ?? s.subdomain, resume: `/oauth/authorize?${query(q)}`, csrf,
      userNames: s.users.map((u) => u.name), userName: failed?.userName, error: failed?.error,
    }));
  }

  scope.get('/login', async (request, reply) => showForm(request, reply, pick(request.query), 200));

  scope.post('/login.do', async (request, reply) => {
    const body = pick(request.body);
    const cookie = request.cookies[CSRF_COOKIE];
    if (!sameSecret(cookie, body[CSRF_FIELD])) {
      return sendPage(reply, 403, errorPage('Invalid login request', 'The login form expired or was not sent by this page (CSRF check). Start again from the application.'));
    }
    const resume = authorizeQuery(body.form_redirect_uri);
    if (resume === undefined) return sendPage(reply, 400, errorPage('Invalid login request', 'The form does not name an authorization request of this service.'));
    const t = target(request, resume);
    if (!t.ok) return sendPage(reply, t.status, errorPage(t.title, t.message));
    const subaccount = t.entry.subaccount.subaccount;
    const userName = body.username ?? '';
    if (users.authenticate(subaccount, userName, body.password ?? '') === undefined) {
      request.log.info({ subaccount, userName: userName.slice(0, 100) }, 'login refused: bad user credentials');
      return showForm(request, reply, resume, 401, { userName, error: 'Provided credentials are invalid. Please try again.' });
    }
    const id = sessions.start(request.cookies[SESSION_COOKIE], subaccount, userName);
    request.log.info({ subaccount, userName }, 'login succeeded');
    reply.setCookie(SESSION_COOKIE, id, cookieOptions(request));
    return reply.code(302).header('cache-control', 'no-store').header('location', `/oauth/authorize?${query(resume)}`).send();
  });

  scope.get('/logout.do', async (request, reply) => {
    const q = pick(request.query);
    const ended = sessions.end(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    request.log.info({ ended, clientId: q.client_id }, 'logout');
    const entry = q.client_id === undefined ? undefined : clientDirectory.byClientId(q.client_id);
    const patterns = entry?.client['oauth2-configuration']['redirect-uris'] ?? LOOPBACK_REDIRECT_URIS;
    if (q.redirect !== undefined && matchRedirectUri(q.redirect, patterns).allowed) {
      return reply.code(302).header('cache-control', 'no-store').header('location', q.redirect).send();
    }
    return sendPage(reply, 200, loggedOutPage());
  });
};

/** The string fields of a query or form body (repeated or non-string values are dropped). */
function pick(input: unknown): Query {
  const out: Query = {};
  if (input === null || typeof input !== 'object') return out;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

/** The authorization request's own parameters, re-serialised (nothing else is carried through the login). */
function query(q: Query): string {
  const params = new URLSearchParams();
  for (const k of AUTHORIZE_PARAMS) if (q[k] !== undefined) params.set(k, q[k]!);
  return params.toString();
}

/** The query of a `/oauth/authorize?…` path of this service; anything else (another path, another host) is refused. */
function authorizeQuery(resume: string | undefined): Query | undefined {
  if (resume === undefined || !resume.startsWith('/oauth/authorize?')) return undefined;
  const url = new URL(resume, 'http://token-service.invalid');
  if (url.origin !== 'http://token-service.invalid' || url.pathname !== '/oauth/authorize') return undefined;
  return pick(Object.fromEntries(url.searchParams));
}

function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
