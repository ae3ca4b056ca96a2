// The `scope` parameter of a token request, as a table.
import t from 'tap';
import { narrowScopes } from '../services/xsuaa/scope-narrowing.js';

const GRANTED = ['openid', 'uaa.resource', 'bookshop!t7.Viewer', 'bookshop!t7.Admin'];

t.test('narrows the granted scopes to the requested ones', async (t) => {
  const rows: Array<[string, string | undefined, string[]]> = [
    ['no scope parameter: everything granted', undefined, GRANTED],
    ['an empty one: everything granted', '', GRANTED],
    ['one scope', 'bookshop!t7.Viewer', ['bookshop!t7.Viewer']],
    ['several, in granted order', 'bookshop!t7.Admin openid', ['openid', 'bookshop!t7.Admin']],
    ['scopes the user lacks are dropped', 'openid bookshop!t7.Delete', ['openid']],
    ['repeated spaces and duplicates', '  openid   openid ', ['openid']],
  ];
  for (const [name, requested, scopes] of rows) t.same(narrowScopes(GRANTED, requested), { ok: true, scopes }, name);
});

t.test('refuses a request none of whose scopes is granted (invalid_scope)', async (t) => {
  t.match(narrowScopes(GRANTED, 'bookshop!t7.Delete other.x'), { ok: false, reason: /^Invalid scope: bookshop!t7.Delete other.x/ });
});
