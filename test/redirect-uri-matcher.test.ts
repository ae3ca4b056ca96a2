// redirect_uri against xs-security.json `redirect-uris` patterns, as a table — including the
// tricks that would turn the login into an open redirect.
import t from 'tap';
import { LOOPBACK_REDIRECT_URIS, matchRedirectUri } from '../services/xsuaa/redirect-uri-matcher.js';

const CONFIGURED = ['https://*.cfapps.eu10.hana.ondemand.com/**', 'http://localhost:5000/login/callback', 'https://app.example.com/cb/*'];

t.test('allows what the patterns name', async (t) => {
  const rows: Array<[string, readonly string[]]> = [
    ['http://localhost:5000/login/callback', LOOPBACK_REDIRECT_URIS],
    ['http://127.0.0.1:43141/login/callback?authType=xsuaa', LOOPBACK_REDIRECT_URIS],
    ['http://localhost/cb', LOOPBACK_REDIRECT_URIS],
    ['http://[::1]:8080/', LOOPBACK_REDIRECT_URIS],
    ['http://LOCALHOST:5000/login/callback', LOOPBACK_REDIRECT_URIS],
    ['https://bookshop-approuter.cfapps.eu10.hana.ondemand.com/login/callback', CONFIGURED],
    ['https://bookshop.cfapps.eu10.hana.ondemand.com', CONFIGURED],
    ['http://localhost:5000/login/callback', CONFIGURED],
    ['https://app.example.com/cb/x', CONFIGURED],
  ];
  for (const [uri, patterns] of rows) t.match(matchRedirectUri(uri, patterns), { allowed: true }, uri);
});

t.test('refuses everything else, and every open-redirect trick', async (t) => {
  const rows: Array<[string, readonly string[], RegExp]> = [
    ['https://evil.example/login/callback', LOOPBACK_REDIRECT_URIS, /matches none/],
    ['https://localhost:5000/login/callback', LOOPBACK_REDIRECT_URIS, /matches none/],
    ['http://localhost:5000@evil.example/', LOOPBACK_REDIRECT_URIS, /user info/],
    ['http://localhost.evil.example:5000/', LOOPBACK_REDIRECT_URIS, /matches none/],
    ['http://127.0.0.1.nip.io:5000/', LOOPBACK_REDIRECT_URIS, /matches none/],
    ['http://localhost:5000\\@evil.example/', LOOPBACK_REDIRECT_URIS, /backslash/],
    ['http://localhost:5000/cb#@evil.example', LOOPBACK_REDIRECT_URIS, /fragment/],
    ['javascript:alert(1)//localhost:5000/', LOOPBACK_REDIRECT_URIS, /http or https/],
    ['//evil.example/', LOOPBACK_REDIRECT_URIS, /absolute URL/],
    ['/login/callback', LOOPBACK_REDIRECT_URIS, /absolute URL/],
    ['http://localhost:5000/cb\r\nSet-Cookie: x=1', LOOPBACK_REDIRECT_URIS, /control characters/],
    ['http://0x7f.0.0.1:5000/', LOOPBACK_REDIRECT_URIS, /unusual host/],
    ['', LOOPBACK_REDIRECT_URIS, /missing/],
    ['https://evil.example/.cfapps.eu10.hana.ondemand.com/', CONFIGURED, /matches none/],
    ['https://a.b.cfapps.eu10.hana.ondemand.com/', CONFIGURED, /matches none/],
    ['https://evilcfapps.eu10.hana.ondemand.com/', CONFIGURED, /matches none/],
    ['http://localhost:5000/login/callback/../../evil', CONFIGURED, /matches none/],
    ['http://localhost:5001/login/callback', CONFIGURED, /matches none/],
    ['https://app.example.com/cb/x/y', CONFIGURED, /matches none/],
    ['http://127.0.0.1:5000/login/callback', CONFIGURED, /matches none/],
  ];
  for (const [uri, patterns, reason] of rows) t.match(matchRedirectUri(uri, patterns), { allowed: false, reason }, JSON.stringify(uri));
});
