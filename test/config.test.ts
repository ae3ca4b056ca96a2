// Config is validated once, at start: every problem as `path: message`, a non-zero exit, and
// the committed JSON Schema in step with the code.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../services/shared/config-load.js';
import { problemsOf } from './helpers/config-problems.js';
import { editorSchema } from '../services/shared/config-json-schema.js';
import { REPO_ROOT, runCli } from './helpers/cli-process.js';

const minimal = () => ({
  subaccounts: [{ subaccount: 'sa-1', subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] }],
  connectors: [{ name: 'k', subaccount: 'sa-1', cloudUser: 'u', cloudPassword: 'p', systemMappings: [
    { virtualHost: 'vh', virtualPort: 80, localHost: '127.0.0.1', localPort: '8080', resources: [{ id: '/' }] },
  ] }],
});

t.test('a minimal config gets the SCC defaults and is frozen', async (t) => {
  const c = parseConfig(minimal());
  t.equal(c.proxy.httpPort, 20003);
  t.equal(c.proxy.tunnelPort, 8042);
  t.equal(c.connectors[0].subaccounts[0].locationID, '');
  t.equal(c.connectors[0].auditLogLevel, 'SECURITY');
  const m = c.connectors[0].subaccounts[0].systemMappings[0];
  t.same([m.protocol, m.hostInHeader, m.authenticationMode, m.resources[0].exactMatchOnly, m.resources[0].enabled], ['HTTP', 'VIRTUAL', 'NONE', false, true]);
  t.ok(Object.isFrozen(c.connectors[0].subaccounts[0].systemMappings[0].resources[0]));
});

t.test('lower-case enum values are accepted as the SCC does', async (t) => {
  const input = minimal();
  Object.assign(input.connectors[0].systemMappings[0], { hostInHeader: 'internal', protocol: 'http' });
  t.equal(parseConfig(input).connectors[0].subaccounts[0].systemMappings[0].hostInHeader, 'INTERNAL');
});

t.test('every problem is listed as path: message', async (t) => {
  const input: any = minimal();
  input.connectors[0].systemMappings[0].virtualPort = 70000;
  input.connectors[0].systemMappings[0].hostInHeader = 'SIDEWAYS';
  input.connectors[0].systemMappings[0].resources[0].id = 'no-slash';
  input.proxy = { httpPort: 'twenty' };
  input.extra = 1;
  const problems = problemsOf(input);
  t.ok(problems.some((p) => p.startsWith('connectors[0].systemMappings[0].virtualPort: ')), problems.join('\n'));
  t.ok(problems.some((p) => p.startsWith('connectors[0].systemMappings[0].hostInHeader: ')));
  t.ok(problems.some((p) => p.startsWith('connectors[0].systemMappings[0].resources[0].id: ')));
  t.ok(problems.some((p) => p.startsWith('proxy.httpPort: ')));
  t.ok(problems.some((p) => p.startsWith('extra: ')));
});

t.test('cross-field rules: unknown subaccount, duplicate tunnel, duplicate system, port ranges outside TCP', async (t) => {
  const input: any = minimal();
  input.connectors.push({ ...structuredClone(input.connectors[0]), name: 'k2', systemMappings: [] });
  input.connectors.push({ ...structuredClone(input.connectors[0]), name: 'k3', subaccount: 'nope', locationID: 'x', systemMappings: [] });
  input.connectors[0].systemMappings.push({ ...input.connectors[0].systemMappings[0], virtualHost: 'VH' });
  input.connectors[0].systemMappings.push({ virtualHost: 'r', virtualPort: '10-20', localHost: 'h', localPort: '10-20' });
  t.same(problemsOf(input).sort(), [
    'connectors[0].systemMappings[1].virtualHost: system vh:80 is mapped twice',
    'connectors[0].systemMappings[2].localPort: port ranges are allowed for TCP and TCPS mappings only',
    'connectors[0].systemMappings[2].virtualPort: port ranges are allowed for TCP and TCPS mappings only',
    'connectors[1].locationID: another connector already serves subaccount "sa-1" with location ""',
    'connectors[2].subaccount: "nope" is not one of subaccounts[].subaccount',
  ]);
});

t.test('a broken YAML file is reported with its line, and nothing starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-config-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'subaccounts:\n  - subaccount: a\n   subdomain: [unclosed\n');
  t.throws(() => loadConfigFile(file), ConfigError);
  const res = await runCli(['check', '--config', file]);
  t.equal(res.code, 1);
  t.match(res.stderr, `${file}:`);
  const missing = await runCli(['up', '--config', join(dir, 'missing.yaml')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, 'cannot read (ENOENT)');
});

t.test('scc-sim check prints path: message for an invalid file and exits 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-config-'));
  const file = join(dir, 'invalid.yaml');
  writeFileSync(file, 'subaccounts:\n  - subaccount: a\n    subdomain: UPPER\n    cloudUser: u\n    cloudPassword: p\n    clients: []\n');
  const res = await runCli(['check', '--config', file]);
  t.equal(res.code, 1);
  t.match(res.stderr, 'subaccounts[0].subdomain: ');
  t.match(res.stderr, 'subaccounts[0].clients: ');
});

t.test('every shipped config passes scc-sim check', async (t) => {
  for (const f of ['config/scc-sim.yaml', 'config/examples/seed-blog.yaml', 'config/examples/two-locations.yaml', 'config/examples/btp-app.yaml']) {
    const res = await runCli(['check', '--config', f]);
    t.equal(res.code, 0, `${f}: ${res.stderr}`);
    t.match(res.stdout, `${f}: valid`);
  }
});

t.test('env vars override deployment knobs only', async (t) => {
  const c = parseConfig(minimal(), { env: { SCC_SIM_HTTP_PORT: '1234', SCC_SIM_TUNNEL_HOST: 'proxy', SCC_SIM_LOG_LEVEL: 'debug' } });
  t.equal(c.proxy.httpPort, 1234);
  t.equal(c.connectors[0].tunnelHost, 'proxy');
  t.equal(c.logLevel, 'debug');
  t.match(problemsOf({ ...minimal(), proxy: {} }).length, 0);
  t.throws(() => parseConfig(minimal(), { env: { SCC_SIM_HTTP_PORT: 'abc' } }), ConfigError);
});

t.test('the committed JSON Schema equals the one generated from the code (run npm run schema)', async (t) => {
  const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'config/scc-sim.schema.json'), 'utf8'));
  t.same(committed, editorSchema());
  t.same(committed.required, ['subaccounts'], 'fields with defaults are optional for editors');
});
