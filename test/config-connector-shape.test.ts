// A connector serves subaccounts[]; a file in the one-subaccount shape loads as one entry, with
// its problems reported at the paths it wrote; both shapes on one connector is an error; admin
// ports default to 8444 and the next free numbers.
import t from 'tap';
import { parseConfig } from '../services/shared/config-load.js';
import { problemsOf } from './helpers/config-problems.js';

const SA = 'sa-1';
const cloud = [{ subaccount: SA, subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] },
  { subaccount: 'sa-2', subdomain: 'sim2', cloudUser: 'u2', cloudPassword: 'p2', clients: [{ clientid: 'c2', clientsecret: 's2' }] }];
const mapping = { virtualHost: 'vh', virtualPort: 80, localHost: '127.0.0.1', localPort: 8080, resources: [{ id: '/' }] };

t.test('a connector in the one-subaccount shape loads as one subaccounts[] entry', async (t) => {
  const c = parseConfig({ subaccounts: cloud, connectors: [{ name: 'k', subaccount: SA, locationID: 'LOC', cloudUser: 'u', cloudPassword: 'p', systemMappings: [mapping] }] });
  const [s] = c.connectors[0].subaccounts;
  t.same([c.connectors[0].subaccounts.length, s.subaccount, s.regionHost, s.locationID, s.connected, s.systemMappings[0].virtualHost],
    [1, SA, 'cf.sim.hana.ondemand.com', 'LOC', true, 'vh']);
  t.equal(c.connectors[0].adminUser, 'Administrator');
  t.equal(c.connectors[0].adminPassword, 'manage');
});

t.test('a connector serves several subaccounts, each with its own location and mappings', async (t) => {
  const c = parseConfig({ subaccounts: cloud, connectors: [{ name: 'k', subaccounts: [
    { subaccount: SA, locationID: 'A', cloudUser: 'u', cloudPassword: 'p', systemMappings: [mapping] },
    { subaccount: 'sa-2', locationID: 'B', cloudUser: 'u2', cloudPassword: 'p2', connected: false, domainMappings: [{ virtualDomain: 'v.example', internalDomain: 'i.corp' }] },
  ] }] });
  t.same(c.connectors[0].subaccounts.map((s) => [s.subaccount, s.locationID, s.connected, s.systemMappings.length, s.domainMappings.length]),
    [[SA, 'A', true, 1, 0], ['sa-2', 'B', false, 0, 1]]);
});

t.test('both shapes on one connector is a clear error', async (t) => {
  const problems = problemsOf({ subaccounts: cloud, connectors: [{ name: 'k', subaccount: SA, systemMappings: [], subaccounts: [] }] });
  t.equal(problems.length, 1);
  t.match(problems[0], /^connectors\[0\]: subaccount, systemMappings and subaccounts together: write either/);
});

t.test('problems of a one-subaccount connector are reported at the paths of the file', async (t) => {
  const problems = problemsOf({ subaccounts: cloud, connectors: [{ name: 'k', subaccount: 'nope', cloudUser: 'u', cloudPassword: 'p',
    systemMappings: [{ ...mapping, virtualPort: 70000 }] }] });
  t.ok(problems.some((p) => p.startsWith('connectors[0].systemMappings[0].virtualPort: ')), problems.join('\n'));
  const semantic = problemsOf({ subaccounts: cloud, connectors: [{ name: 'k', subaccount: 'nope', cloudUser: 'u', cloudPassword: 'p' }] });
  t.same(semantic, ['connectors[0].subaccount: "nope" is not one of subaccounts[].subaccount']);
  const full = problemsOf({ subaccounts: cloud, connectors: [{ name: 'k', subaccounts: [{ subaccount: 'nope', cloudUser: 'u', cloudPassword: 'p' }] }] });
  t.same(full, ['connectors[0].subaccounts[0].subaccount: "nope" is not one of subaccounts[].subaccount']);
});

t.test('the same subaccount twice in one connector, or one tunnel served twice, is refused', async (t) => {
  const entry = { subaccount: SA, cloudUser: 'u', cloudPassword: 'p' };
  t.same(problemsOf({ subaccounts: cloud, connectors: [{ name: 'k', subaccounts: [entry, { ...entry, locationID: 'X' }] }] }),
    ['connectors[0].subaccounts[1].subaccount: "sa-1" in region cf.sim.hana.ondemand.com is declared twice']);
  t.same(problemsOf({ subaccounts: cloud, connectors: [{ name: 'k', subaccounts: [entry] }, { name: 'k2', ...entry, regionHost: 'other.region' }] }),
    ['connectors[1].locationID: another connector already serves subaccount "sa-1" with location ""']);
});

t.test('admin ports: 8444 for the first connector without one, then the next free numbers; 0 stays 0', async (t) => {
  const k = (name: string, extra = {}) => ({ name, subaccounts: [], ...extra });
  const c = parseConfig({ proxy: { httpPort: 8445 }, subaccounts: cloud, connectors: [k('a'), k('b', { adminPort: 8446 }), k('c'), k('d', { adminPort: 0 }), k('e')] });
  t.same(c.connectors.map((x) => x.adminPort), [8444, 8446, 8447, 0, 8448], 'skipping the proxy\'s 8445 and b\'s 8446');
});

t.test('SCC_SIM_ADMIN_PORT and SCC_SIM_ADMIN_HOST override the admin server\'s address', async (t) => {
  const c = parseConfig({ subaccounts: cloud, connectors: [{ name: 'k', subaccounts: [], adminPort: 9000 }] }, { env: { SCC_SIM_ADMIN_PORT: '0', SCC_SIM_ADMIN_HOST: '0.0.0.0' } });
  t.same([c.connectors[0].adminPort, c.connectors[0].adminHost], [0, '0.0.0.0']);
});
