// Which subdomain a request's Host names under the uaadomain, as a table.
import t from 'tap';
import { tenantOfHost } from '../services/xsuaa/tenant-host.js';

t.test('finds the subdomain of <subdomain>.<uaadomain>[:port] and nothing in other hosts', async (t) => {
  const rows: Array<[string | undefined, string | undefined]> = [
    ['btp-app.authentication.localhost:8443', 'btp-app'],
    ['btp-app.authentication.localhost', 'btp-app'],
    ['BTP-App.Authentication.LOCALHOST:8443', 'btp-app'],
    ['btp-app.authentication.localhost.:8443', 'btp-app'],
    ['a.b.authentication.localhost', 'a.b'],
    ['authentication.localhost:8443', undefined],
    ['.authentication.localhost', undefined],
    ['xauthentication.localhost', undefined],
    ['127.0.0.1:8080', undefined],
    ['[::1]:8443', undefined],
    ['btp-app.authentication.localhost.evil.example', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [host, subdomain] of rows) {
    t.same(tenantOfHost(host, 'authentication.localhost'), subdomain === undefined ? { tenant: false } : { tenant: true, subdomain }, String(host));
  }
});
