// The token service's pages: the login form of /login, the error page (unknown client, a
// redirect_uri the client may not use, …) and the logged-out page. Plain server-rendered HTML:
// every value is escaped, nothing is loaded from elsewhere, the form carries the CSRF field
// `X-Uaa-Csrf` (as UAA's does) whose twin is a cookie.

export const CSRF_FIELD = 'X-Uaa-Csrf';
export const CSRF_COOKIE = 'scc_sim_uaa_csrf';

/** The headers every page is sent with: no caching, no framing, nothing but inline style. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface LoginFormOptions {
  /** Shown in the heading: the subaccount's display name or subdomain. */
  zone: string;
  /** Where the form goes after a good login: a `/oauth/authorize?…` path of this service. */
  resume: string;
  csrf: string;
  /** The configured users' names, shown as a hint (this is a simulator). */
  userNames: string[];
  /** Pre-filled user name after a failed attempt. */
  userName?: string;
  error?: string;
}

export function loginForm(o: LoginFormOptions): string {
  const users = o.userNames.length === 0 ? 'This subaccount has no users (config subaccounts[].users).'
    : `Users of this subaccount: ${o.userNames.map((n) => `<code>${escapeHtml(n)}</code>`).join(', ')}`;
  return page(`Log on to ${o.zone}`, `
<form method="post" action="/login.do" autocomplete="off">
  ${o.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(o.error)}</p>`}
  <input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(o.csrf)}">
  <input type="hidden" name="form_redirect_uri" value="${escapeHtml(o.resume)}">
  <label>User name <input name="username" value="${escapeHtml(o.userName ?? '')}" required autofocus></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Log on</button>
</form>
<p class="hint">${users}</p>`);
}

export function errorPage(title: string, message: string): string {
  return page(title, `<p class="error" role="alert">${escapeHtml(message)}</p>`);
}

export function loggedOutPage(): string {
  return page('Logged out', '<p>You have been logged out of the scc-sim token service.</p>');
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · scc-sim</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0}
input{display:block;width:100%;padding:.4rem;box-sizing:border-box}button{padding:.5rem 1.2rem}.error{color:#b00020}.hint{color:#555;font-size:.9rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
}
