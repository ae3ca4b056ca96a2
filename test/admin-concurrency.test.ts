// Changes that race — 20 POSTs of system mappings and 20 of resources at once, over HTTPS — all
// land: in the running connector, in the config file, and in a fresh load of that file.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigStore } from '../services/shared/config-store.js';
import { startSimulator } from '../src/simulator.js';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { SUBACCOUNT_A, world } from './helpers/configs.js';

const dir = mkdtempSync(join(tmpdir(), 'scc-sim-race-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'world.yaml');
writeFileSync(file, `# raced\n${stringify(world())}`);
const sim = await startSimulator(file);
t.teardown(() => sim.close());
const admin = adminClient(() => sim.admin['connector-a']);
const A = subaccountPath({ regionHost: 'cf.sim.hana.ondemand.com', subaccount: SUBACCOUNT_A });

t.test('20 system mappings POSTed at once all survive, in memory and in the file', async (t) => {
  const hosts = Array.from({ length: 20 }, (_, i) => `race-${i}`);
  const answers = await Promise.all(hosts.map((h) => admin.post(`${A}/systemMappings`, {
    virtualHost: h, virtualPort: '80', localHost: '127.0.0.1', localPort: '80', protocol: 'HTTP', backendType: 'nonSAPsys',
  })));
  t.same(answers.map((a) => a.status), hosts.map(() => 201));
  const listed = (await admin.get(`${A}/systemMappings`)).json().map((m: any) => m.virtualHost);
  t.same([...listed].sort(), ['virtualhost', ...hosts].sort(), 'the API lists every one');
  const fromFile = ConfigStore.open(file).config.connectors[0].subaccounts[0].systemMappings.map((m) => m.virtualHost);
  t.same([...fromFile].sort(), [...listed].sort(), 'the file has every one');
  t.ok(readFileSync(file, 'utf8').startsWith('# raced\n'), 'and its comment');
});

t.test('20 resources POSTed at once to one mapping, with a duplicate among them: 20 land, the duplicate is 409', async (t) => {
  const ids = Array.from({ length: 20 }, (_, i) => `/r${i}`);
  const answers = await Promise.all([...ids, '/r0'].map((id) => admin.post(`${A}/systemMappings/race-0:80/resources`, { id, enabled: true })));
  t.same(answers.map((a) => a.status).sort(), [...ids.map(() => 201), 409].sort());
  const listed = (await admin.get(`${A}/systemMappings/race-0:80/resources`)).json().map((r: any) => r.id);
  t.same([...listed].sort(), [...ids].sort());
  const fromFile = ConfigStore.open(file).config.connectors[0].subaccounts[0].systemMappings.find((m) => m.virtualHost === 'race-0')!.resources.map((r) => r.id);
  t.same([...fromFile].sort(), [...ids].sort());
});
