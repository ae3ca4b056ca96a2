// A browser-shaped HTTP client for login flows: a cookie jar that, like a browser, keys cookies by
// host name only (not port: the approuter's and the token service's cookies on 127.0.0.1 meet, as
// in a real browser), follows redirects itself (GET after 301/302/303), sends a Mozilla
// User-Agent (the approuter then uses state and PKCE), runs a page's inline scripts against
// `document.cookie` and `location` (the approuter's login redirect is such a page: it stores the
// page to return to in cookies, then assigns `location`) and submits HTML forms with their hidden
// fields. Nothing is mocked: every hop is a real request.
import vm from 'node:vm';

export interface Page {
  status: number;
  url: string;
  headers: Headers;
  text: string;
  /** Every URL visited, the last one included. */
  hops: string[];
}

interface Cookie { name: string; value: string; host: string; path: string }

export const BROWSER_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) scc-sim-test';

export class BrowserClient {
  private cookies: Cookie[] = [];
  /** Every Set-Cookie line received, in order. */
  readonly setCookieLog: string[] = [];

  /** Cookie names the jar holds for `host`. */
  cookieNames(host: string): string[] {
    return this.cookies.filter((c) => c.host === host).map((c) => c.name);
  }

  async get(url: string): Promise<Page> {
    return this.navigate(url, { method: 'GET' });
  }

  /** Fills and submits the first form of `page` with `fields` (hidden fields are kept). */
  async submitForm(page: Page, fields: Record<string, string>): Promise<Page> {
    const { action, body } = this.formOf(page, fields);
    return this.navigate(action, { method: 'POST', body, contentType: 'application/x-www-form-urlencoded' }, [page.url]);
  }

  /** The same, but the answer is returned as it is (no redirect followed). */
  async submitFormNoFollow(page: Page, fields: Record<string, string>): Promise<Response> {
    const { action, body } = this.formOf(page, fields);
    return this.fetchNoFollow(action, { method: 'POST', body, contentType: 'application/x-www-form-urlencoded' });
  }

  /** One request with this browser's cookies; the response is returned as it is. */
  async fetchNoFollow(url: string, req: { method: string; body?: string; contentType?: string } = { method: 'GET' }): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': BROWSER_USER_AGENT, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const cookie = this.cookieHeader(new URL(url));
    if (cookie !== '') headers.cookie = cookie;
    if (req.body !== undefined) headers['content-type'] = req.contentType!;
    const res = await fetch(url, { method: req.method, headers, body: req.body, redirect: 'manual' });
    const lines = res.headers.getSetCookie();
    this.setCookieLog.push(...lines);
    this.store(new URL(url), lines);
    return res;
  }

  private formOf(page: Page, fields: Record<string, string>): { action: string; body: string } {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.text);
    if (form === null) throw new Error(`no form on ${page.url}:\n${page.text.slice(0, 500)}`);
    const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
    const action = new URL(unescapeHtml(attr(form[1]!, 'action') ?? page.url), page.url).toString();
    const body = new URLSearchParams();
    for (const input of form[2]!.match(/<input\b[^>]*>/gi) ?? []) {
      const name = attr(input, 'name');
      if (name !== undefined && /type="hidden"/i.test(input)) body.set(unescapeHtml(name), unescapeHtml(attr(input, 'value') ?? ''));
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    return { action, body: body.toString() };
  }

  private async navigate(url: string, req: { method: string; body?: string; contentType?: string }, hops: string[] = []): Promise<Page> {
    let current = url;
    let method = req.method;
    let body = req.body;
    for (let n = 0; n < 20; n++) {
      hops.push(current);
      const res = await this.fetchNoFollow(current, { method, body, contentType: req.contentType });
      const location = res.headers.get('location');
      if ([301, 302, 303, 307, 308].includes(res.status) && location !== null) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        if (res.status !== 307 && res.status !== 308) { method = 'GET'; body = undefined; }
        continue;
      }
      const text = await res.text();
      const next = res.status === 200 ? this.runScripts(new URL(current), text) : undefined;
      if (next !== undefined) { current = next; method = 'GET'; body = undefined; continue; }
      return { status: res.status, url: current, headers: res.headers, text, hops };
    }
    throw new Error(`too many redirects: ${hops.join(' → ')}`);
  }

  /** Runs the inline scripts of an HTML page; returns the URL the page navigates to, if it assigns `location`. */
  private runScripts(url: URL, html: string): string | undefined {
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]!).filter((s) => s.trim() !== '');
    if (scripts.length === 0) return undefined;
    const location = { href: url.toString(), hash: url.hash, host: url.host, hostname: url.hostname, pathname: url.pathname, search: url.search,
      protocol: url.protocol, origin: url.origin };
    const jar = this;
    const document = {
      get cookie() { return jar.cookieHeader(url); },
      set cookie(line: string) { jar.store(url, [line]); },
    };
    const context = vm.createContext({ document, location, encodeURIComponent, decodeURIComponent });
    for (const code of scripts) vm.runInContext(code, context, { timeout: 1000 });
    const assigned = (context as { location: unknown }).location;
    const target = typeof assigned === 'string' ? assigned : location.href !== url.toString() ? location.href : undefined;
    return target === undefined ? undefined : new URL(target, url).toString();
  }

  private cookieHeader(url: URL): string {
    return this.cookies.filter((c) => c.host === url.hostname && url.pathname.startsWith(c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  private store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const get = (a: string) => attrs.find((x) => x.toLowerCase().startsWith(`${a}=`))?.slice(a.length + 1);
      const path = get('path') ?? '/';
      const expires = get('expires');
      const maxAge = get('max-age');
      const gone = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now()) || value === '';
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      if (!gone) this.cookies.push({ name, value, host: url.hostname, path });
    }
  }
}

function unescapeHtml(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, d) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&').replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x([0-9a-f]+);/gi, (_m, h) => String.fromCharCode(parseInt(h, 16)));
}
