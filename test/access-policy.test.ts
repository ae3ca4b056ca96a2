// Which system a virtual host:port names, and whether its resources allow a path (SCC §4.1, §4.2).
import t from 'tap';
import type { Resource, SystemMapping } from '../services/shared/config-schema.js';
import { createAccessPolicy, type AccessDecision } from '../services/connector/access-policy.js';

function resource(id: string, options: Partial<Resource> = {}): Resource {
  return { id, exactMatchOnly: false, enabled: true, websocketUpgradeAllowed: false, description: '', ...options };
}

function system(virtualHost: string, virtualPort: number | string, resources: Resource[], options: Partial<SystemMapping> = {}): SystemMapping {
  return {
    virtualHost, virtualPort, localHost: 'backend', localPort: 8080, protocol: 'HTTP', backendType: 'nonSAPsys',
    hostInHeader: 'VIRTUAL', authenticationMode: 'NONE', sid: '', description: '', trustAll: false, timeoutMs: 30000,
    resources, ...options,
  };
}

const PUBLIC_ONLY = system('virtualhost', 3333, [resource('/public')]);
const EVERYTHING = system('everything', '80', [resource('/')]);
const ERP = system('erp.example.com', 44300, [resource('/'), resource('/admin', { enabled: false })], { protocol: 'HTTPS' });
const FINANCE = system('finance', 8000, [
  resource('/production/accounting'),
  resource('/production/accounting/secret', { enabled: false }),
  resource('/production/accounting/secret/open'),
  resource('/status', { exactMatchOnly: true }),
]);
const DB = system('db', '5000-5010', [], { protocol: 'TCP', localPort: '6000-6010' });
const REDIS = system('redis', '6379', [], { protocol: 'TCPS' });
const EMPTY = system('empty', 1, []);

const policy = createAccessPolicy([PUBLIC_ONLY, EVERYTHING, ERP, FINANCE, DB, REDIS, EMPTY]);

type Expected = { allowed: true; path: string; resource: string } | { allowed: false; code: string; path: string };
type Row = [name: string, host: string, port: number, rawPath: string, expected: Expected];

const allowed = (path: string, resourceId: string): Expected => ({ allowed: true, path, resource: resourceId });
const denied = (path: string): Expected => ({ allowed: false, code: 'SCC_ACCESS_DENIED_RESOURCE', path });
const badPath = (path: string): Expected => ({ allowed: false, code: 'SCC_BAD_PATH', path });
const noSystem = (path: string): Expected => ({ allowed: false, code: 'SCC_ACCESS_DENIED_SYSTEM', path });

const TABLE: Row[] = [
  ['resource / with sub-paths allows the root', 'everything', 80, '/', allowed('/', '/')],
  ['resource / with sub-paths allows any path', 'everything', 80, '/any/thing;x=1', allowed('/any/thing;x=1', '/')],
  ['a prefix resource allows its own path', 'virtualhost', 3333, '/public', allowed('/public', '/public')],
  ['a prefix resource allows a sub-path', 'virtualhost', 3333, '/public/x', allowed('/public/x', '/public')],
  ['a prefix resource is a plain string prefix', 'virtualhost', 3333, '/publicity', allowed('/publicity', '/public')],
  ['a path outside every resource is denied', 'virtualhost', 3333, '/secret', denied('/secret')],
  ['the root outside every resource is denied', 'virtualhost', 3333, '/', denied('/')],
  ['resource ids are case-sensitive', 'virtualhost', 3333, '/PUBLIC', denied('/PUBLIC')],
  ['a system without resources denies everything', 'empty', 1, '/', denied('/')],
  // path tricks against a system that allows only /public
  ['/.. out of /public is denied', 'virtualhost', 3333, '/public/../secret', denied('/secret')],
  ['%2e%2e out of /public is denied', 'virtualhost', 3333, '/public/%2e%2e/secret', denied('/secret')],
  ['%2E%2e out of /public is denied', 'virtualhost', 3333, '/public/%2E%2e/secret', denied('/secret')],
  ['an encoded slash is refused', 'virtualhost', 3333, '/public%2f..%2fsecret', badPath('/public%2f..%2fsecret')],
  ['a double slash before /.. is denied', 'virtualhost', 3333, '//public/../secret', denied('/secret')],
  ['backslashes are refused', 'virtualhost', 3333, '/public\\..\\secret', badPath('/public\\..\\secret')],
  ['..; (a Tomcat dot segment) is refused', 'virtualhost', 3333, '/public/..;/secret', badPath('/public/..;/secret')],
  ['a matrix parameter before /.. is denied', 'virtualhost', 3333, '/public;a=b/../secret', denied('/secret')],
  ['an encoded first letter is decoded and forwarded decoded', 'virtualhost', 3333, '/%70ublic/x', allowed('/public/x', '/public')],
  ['double slashes are forwarded collapsed', 'virtualhost', 3333, '//public//x', allowed('/public/x', '/public')],
  ['a walk back into /public is allowed and forwarded normalised', 'virtualhost', 3333, '/secret/../public/./x', allowed('/public/x', '/public')],
  // exact match, prefix semantics, suspension and precedence
  ['an exact resource allows its path', 'finance', 8000, '/status', allowed('/status', '/status')],
  ['an exact resource denies a sub-path', 'finance', 8000, '/status/x', denied('/status/x')],
  ['an exact resource denies its path with a trailing slash', 'finance', 8000, '/status/', denied('/status/')],
  ['a prefix resource allows a longer name', 'finance', 8000, '/production/accounting-plus-some-more-stuff-here',
    allowed('/production/accounting-plus-some-more-stuff-here', '/production/accounting')],
  ['a parent of a resource is denied', 'finance', 8000, '/production', denied('/production')],
  ['a suspended longer resource denies under an enabled broader one', 'finance', 8000, '/production/accounting/secret/x',
    denied('/production/accounting/secret/x')],
  ['the longest match wins: an enabled resource under a suspended one allows', 'finance', 8000,
    '/production/accounting/secret/open/x', allowed('/production/accounting/secret/open/x', '/production/accounting/secret/open')],
  ['a suspended resource denies even when / is enabled', 'erp.example.com', 44300, '/admin/x', denied('/admin/x')],
  ['a suspended resource denies its own path', 'erp.example.com', 44300, '/admin', denied('/admin')],
  ['a suspended resource is a plain prefix too', 'erp.example.com', 44300, '/administrator', denied('/administrator')],
  ['outside the suspended resource / still allows', 'erp.example.com', 44300, '/other', allowed('/other', '/')],
  // system lookup
  ['an unknown virtual host is denied as a system', 'unknown', 3333, '/public', noSystem('/public')],
  ['a known host on another port is denied as a system', 'virtualhost', 3334, '/public', noSystem('/public')],
  ['a virtual host matches case-insensitively', 'VirtualHost', 3333, '/public', allowed('/public', '/public')],
  ['an upper-case virtual host matches a mixed-case mapping', 'ERP.EXAMPLE.COM', 44300, '/x', allowed('/x', '/')],
  ['a mapping port written as a string matches the number', 'everything', 80, '/x', allowed('/x', '/')],
  ['a TCP mapping is no HTTP system', 'db', 5005, '/', noSystem('/')],
];

function summary(decision: AccessDecision): Expected {
  return decision.allowed
    ? { allowed: true, path: decision.path, resource: decision.resource.id }
    : { allowed: false, code: decision.code, path: decision.path };
}

for (const [name, host, port, rawPath, expected] of TABLE) {
  t.test(`${name} (${host}:${port} ${rawPath})`, async (t) => {
    t.same(summary(policy.check(host, port, rawPath)), expected);
  });
}

t.test('a denied path names the system and every resource consulted', async (t) => {
  const decision = policy.check('virtualhost', 3333, '/secret');
  t.equal(decision.reason, 'no resource of system virtualhost:3333 matches /secret (resources: /public [path and sub-paths])');
  t.equal(decision.mapping, PUBLIC_ONLY);
  t.equal(decision.resource, undefined);
});

t.test('a suspended resource denies with "resource suspended" and names the resource', async (t) => {
  const decision = policy.check('erp.example.com', 44300, '/admin/x');
  t.equal(decision.reason, 'resource suspended: /admin [path and sub-paths, suspended] of system erp.example.com:44300 '
    + 'is the most specific match for /admin/x (resources: / [path and sub-paths], /admin [path and sub-paths, suspended])');
  t.equal(decision.resource, ERP.resources[1]);
});

t.test('an allowed path names the resource that allows it', async (t) => {
  const decision = policy.check('finance', 8000, '/status');
  t.equal(decision.reason, '/status [path only] of system finance:8000 allows /status');
  t.equal(decision.allowed && decision.mapping, FINANCE);
});

t.test('an unknown system names the HTTP systems there are', async (t) => {
  const decision = policy.check('nowhere', 1, '/');
  t.equal(decision.reason, 'no HTTP/HTTPS system mapping for virtual host nowhere:1 '
    + '(systems: virtualhost:3333, everything:80, erp.example.com:44300, finance:8000, empty:1)');
  t.equal(decision.mapping, undefined);
});

t.test('a refused path says why and keeps the raw path', async (t) => {
  const decision = policy.check('virtualhost', 3333, '/a%zz');
  t.same({ ...decision, mapping: undefined }, {
    allowed: false, code: 'SCC_BAD_PATH', mapping: undefined, path: '/a%zz',
    reason: 'path refused for system virtualhost:3333: malformed percent escape "%zz" at offset 2',
  });
});

t.test('the query string is never part of the decision: callers pass the path alone', async (t) => {
  for (const url of ['/public?x=1', '/public?path=/secret', '/public?../../secret', '/public']) {
    const decision = policy.check('virtualhost', 3333, url.split('?')[0]!);
    t.same(summary(decision), allowed('/public', '/public'), url);
  }
  const decision = policy.check('virtualhost', 3333, '/secret?/public'.split('?')[0]!);
  t.same(summary(decision), denied('/secret'), 'a query naming an allowed path does not rescue a denied one');
});

t.test('findSystem finds HTTP/HTTPS mappings by virtual host (any case) and port', async (t) => {
  t.equal(policy.findSystem('virtualhost', 3333), PUBLIC_ONLY);
  t.equal(policy.findSystem('VIRTUALHOST', 3333), PUBLIC_ONLY);
  t.equal(policy.findSystem('everything', 80), EVERYTHING);
  t.equal(policy.findSystem('erp.example.com', 44300), ERP);
  t.equal(policy.findSystem('virtualhost', 80), undefined);
  t.equal(policy.findSystem('redis', 6379), undefined);
  t.equal(policy.findSystem('db', 5000), undefined);
});

t.test('findTcpSystem finds TCP/TCPS mappings, a port range covering every port inside', async (t) => {
  t.equal(policy.findTcpSystem('db', 5000), DB);
  t.equal(policy.findTcpSystem('db', 5005), DB);
  t.equal(policy.findTcpSystem('DB', 5010), DB);
  t.equal(policy.findTcpSystem('db', 4999), undefined);
  t.equal(policy.findTcpSystem('db', 5011), undefined);
  t.equal(policy.findTcpSystem('redis', 6379), REDIS);
  t.equal(policy.findTcpSystem('redis', 6380), undefined);
  t.equal(policy.findTcpSystem('virtualhost', 3333), undefined);
});

t.test('the first of two mappings for the same virtual host:port wins', async (t) => {
  const first = system('dup', 1, [resource('/a')]);
  const second = system('DUP', '1', [resource('/')]);
  const dupPolicy = createAccessPolicy([first, second]);
  t.equal(dupPolicy.findSystem('dup', 1), first);
  t.same(summary(dupPolicy.check('dup', 1, '/b')), denied('/b'));
});

t.test('on equal resource ids the suspended one wins', async (t) => {
  const tie = createAccessPolicy([system('tie', 1, [resource('/a', { exactMatchOnly: true }), resource('/a', { enabled: false })])]);
  t.same(summary(tie.check('tie', 1, '/a')), denied('/a'));
});

t.test('no mappings deny every system', async (t) => {
  const none = createAccessPolicy([]);
  t.equal(none.check('virtualhost', 3333, '/').reason, 'no HTTP/HTTPS system mapping for virtual host virtualhost:3333 (systems: none)');
});

t.test('checkUpgrade: a WebSocket upgrade needs websocketUpgradeAllowed on the deciding resource', async (t) => {
  const upgrades = createAccessPolicy([
    system('chat', 80, [resource('/', {}), resource('/ws/', { websocketUpgradeAllowed: true }), resource('/ws/admin', { enabled: false, websocketUpgradeAllowed: true })]),
  ]);
  t.same(summary(upgrades.checkUpgrade('chat', 80, '/ws/room')), allowed('/ws/room', '/ws/'), 'a resource with the flag allows it');
  t.same(summary(upgrades.checkUpgrade('chat', 80, '/ws/a/../room')), allowed('/ws/room', '/ws/'), 'after normalisation');
  t.same(summary(upgrades.checkUpgrade('chat', 80, '/other')), denied('/other'), 'a resource without the flag denies the upgrade');
  t.same(summary(upgrades.check('chat', 80, '/other')), allowed('/other', '/'), '… while a plain request to the same path is allowed');
  t.same(summary(upgrades.checkUpgrade('chat', 80, '/ws/admin/x')), denied('/ws/admin/x'), 'a suspended resource denies, flag or not');
  t.same(summary(upgrades.checkUpgrade('nowhere', 80, '/ws/')), noSystem('/ws/'), 'an unknown system is denied as for requests');
  t.same(summary(upgrades.checkUpgrade('chat', 80, '/a%zz')), badPath('/a%zz'));
  const refused = upgrades.checkUpgrade('chat', 80, '/other');
  t.match(refused.reason, /^WebSocket upgrade not allowed: \/ \[path and sub-paths\] of system chat:80 allows \/other but not an upgrade/);
  t.match(upgrades.checkUpgrade('chat', 80, '/ws/x').reason, /\/ws\/ \[path and sub-paths\] of system chat:80 allows the WebSocket upgrade to \/ws\/x/);
});
