// What role collections grant a user, as plain data: scopes <xsappname>.<scope>, collection
// names, attributes; the xsappname of an xsuaa client derived from its client id as on BTP.
import t from 'tap';
import { ConfigError, parseConfig } from '../services/shared/config-load.js';
import { xsappnameOf } from '../services/shared/service-instance.js';
import { scopesForClient, userGrants } from '../services/xsuaa/role-collections.js';

const config = parseConfig({
  subaccounts: [{
    subaccount: 'r0', subdomain: 'roles', cloudUser: 'u', cloudPassword: 'p',
    clients: [
      { clientid: 'sb-clone-x!b1|connectivity!b137', clientsecret: 's' },
      { clientid: 'sb-bookshop!t7', clientsecret: 's', service: 'xsuaa' },
      { clientid: 'sb-other-app!t9', clientsecret: 's', service: 'xsuaa' },
    ],
    roleCollections: [
      { name: 'Viewers', scopes: ['Viewer'] },
      { name: 'Admins', scopes: ['Viewer', 'Admin'] },
      { name: 'OtherApp', xsappname: 'other-app!t9', scopes: ['Read'] },
    ],
    users: [
      { name: 'alice', password: 'pw', roleCollections: ['Viewers', 'Admins', 'OtherApp'], attributes: { Country: ['DE', 'FR'] } },
      { name: 'bob', password: 'pw' },
    ],
  }],
});
const subaccount = config.subaccounts[0]!;
const [connectivity, bookshop, other] = subaccount.clients as [typeof subaccount.clients[0], typeof subaccount.clients[0], typeof subaccount.clients[0]];

t.test('an xsuaa client\'s xsappname is its client id without sb-, as on BTP', async (t) => {
  t.equal(xsappnameOf(bookshop), 'bookshop!t7');
  t.equal(xsappnameOf(connectivity), 'connectivity!b137', 'other clients keep the part after the last |');
  t.equal(xsappnameOf({ ...bookshop, xsappname: 'explicit!t1' }), 'explicit!t1', 'an explicit xsappname wins');
});

t.test('a user holds the scopes of their role collections, each once, with the collections and attributes', async (t) => {
  const alice = userGrants(subaccount, 'alice');
  t.same(alice.scopes, ['bookshop!t7.Viewer', 'bookshop!t7.Admin', 'other-app!t9.Read']);
  t.same(alice.roleCollections, ['Viewers', 'Admins', 'OtherApp']);
  t.same(alice.attributes, { Country: ['DE', 'FR'] });
  t.same(scopesForClient(alice, bookshop), ['bookshop!t7.Viewer', 'bookshop!t7.Admin'], 'a client\'s tokens carry its own application\'s scopes');
  t.same(scopesForClient(alice, other), ['other-app!t9.Read']);
  t.same(scopesForClient(alice, connectivity), [], 'none for the connectivity client');
  t.same(userGrants(subaccount, 'bob'), { scopes: [], byApp: {}, roleCollections: [], attributes: {} }, 'bob holds nothing');
  t.same(userGrants(subaccount, 'nobody').scopes, []);
});

t.test('the config refuses unknown role collections, duplicates and collections without an application', async (t) => {
  const base = { subaccount: 'r1', subdomain: 'r1', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] };
  const problemsOf = (subaccounts: object[]): string[] => {
    try { parseConfig({ subaccounts }); } catch (err) { if (err instanceof ConfigError) return err.problems; throw err; }
    return [];
  };
  t.same(problemsOf([{ ...base, roleCollections: [{ name: 'A', xsappname: 'x', scopes: ['s'] }], users: [{ name: 'u', password: 'p', roleCollections: ['B'] }] }]),
    ['subaccounts[0].users[0].roleCollections[0]: "B" is not one of subaccounts[0].roleCollections[].name']);
  t.match(problemsOf([{ ...base, roleCollections: [{ name: 'A', scopes: ['s'] }] }]), [/roleCollections\[0\]\.xsappname: needed/]);
  t.match(problemsOf([{ ...base, roleCollections: [{ name: 'A', xsappname: 'x' }, { name: 'A', xsappname: 'x' }] }]), [/"A" is declared twice/]);
  t.match(problemsOf([base, { ...base, subaccount: 'r2', clients: [{ clientid: 'c2', clientsecret: 's' }] }]),
    [/subaccounts\[1\]\.subdomain: "r1" is the subdomain of another subaccount/]);
});
