// What the admin API changes is written to the config file the process was started with — with
// the file's comments and layout — and a restart reads it back; a hand edit of the file is applied
// without a restart, an invalid one refused with `path: message` lines. Real `scc-sim` processes.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { adminClient, subaccountPath, type AdminEndpointLike } from './helpers/admin-client.js';
import { REPO_ROOT, freePort, runCli, startCli, type CliProcess } from './helpers/cli-process.js';
import { proxyRequest } from './helpers/proxy-client.js';

const SA = { regionHost: 'cf.sim.hana.ondemand.com', subaccount: '6a8f0b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b' };
const SUB = subaccountPath(SA);

interface World { file: string; dir: string; httpPort: number; adminPort: number; original: string }

/** config/scc-sim.yaml (comments and all) with free ports, in a temp folder. */
async function world(t: Test): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-persist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const doc = parseDocument(readFileSync(join(REPO_ROOT, 'config/scc-sim.yaml'), 'utf8'));
  const [httpPort, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort, adminPort, hello, echo, mail] = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  for (const [key, port] of Object.entries({ httpPort, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort })) doc.setIn(['proxy', key], port);
  doc.setIn(['proxy', 'caDir'], join(REPO_ROOT, '.scc-sim/ca'));
  doc.setIn(['connectors', 0, 'adminPort'], adminPort);
  doc.setIn(['connectors', 0, 'reconnectInitialDelayMs'], 20);
  doc.setIn(['connectors', 0, 'reconnectMaxDelayMs'], 200);
  const ports = [hello, echo, mail];
  ports.forEach((p, i) => {
    doc.setIn(['backends', i, 'port'], p);
    doc.setIn(['connectors', 0, 'subaccounts', 0, 'systemMappings', i, 'localPort'], p);
  });
  const file = join(dir, 'scc-sim.yaml');
  const original = doc.toString();
  writeFileSync(file, original);
  return { file, dir, httpPort, adminPort, original };
}

const endpointOf = (w: World): AdminEndpointLike => ({ url: `https://127.0.0.1:${w.adminPort}`, user: 'Administrator', password: 'manage', caFile: join(REPO_ROOT, '.scc-sim/ca/ca.pem') });

async function tokenFor(w: World): Promise<string> {
  const res = await runCli(['token', '--config', w.file]);
  if (res.code !== 0) throw new Error(res.stderr);
  return res.stdout.trim();
}

/** The JSON log line (pino, not a TTY) with this message. */
async function logLine(p: CliProcess, msg: RegExp): Promise<Record<string, any>> {
  return JSON.parse(await p.waitFor(new RegExp(`"msg":"${msg.source}`)));
}

t.test('scc-sim up: an API change lands in the file with its comments, and a restart shows it', async (t) => {
  const w = await world(t);
  let up = startCli(t, ['up', '--config', w.file]);
  await up.waitFor(/scc-sim is up/);
  t.match(await up.waitFor(/connector +default: admin API/), `https://127.0.0.1:${w.adminPort}`, 'the banner names the admin URL');
  t.match(up.output(), '(user Administrator;', 'and the user');
  t.match(await up.waitFor(/admin pages https:/), `admin pages https://127.0.0.1:${w.adminPort}/`, 'and the admin pages');
  const admin = adminClient(endpointOf(w));
  const page = await admin.get('/');
  t.same([page.status, page.headers['content-type']], [200, 'text/html; charset=utf-8'], 'which scc-sim up serves (from dist/, the pages found in the package)');
  const create = await admin.post(`${SUB}/systemMappings`, { virtualHost: 'added', virtualPort: '8000', localHost: '127.0.0.1',
    localPort: String(parseDocument(w.original).getIn(['backends', 0, 'port'])), protocol: 'HTTP', backendType: 'nonSAPsys', authenticationMode: '' });
  t.equal(create.status, 201);
  t.equal((await admin.post(`${SUB}/systemMappings/added:8000/resources`, { id: '/', enabled: 'true', exactMatchOnly: 'false', websocketUpgradeAllowed: 'false' })).status, 201);
  const token = await tokenFor(w);
  t.equal((await proxyRequest(w.httpPort, { url: 'http://added:8000/', token })).text(), 'Hello World!', 'the new mapping works at once');

  const text = readFileSync(w.file, 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.endsWith('- virtualHost: added'));
  const indent = lines[start].indexOf('-');
  let end = start + 1;
  while (end < lines.length && lines[end].length > indent && lines[end][indent] === ' ') end += 1;
  t.equal([...lines.slice(0, start), ...lines.slice(end)].join('\n'), w.original, 'apart from the new mapping, the file is byte for byte what it was, comments included');
  t.match(text, /- virtualHost: added\n\s+virtualPort: 8000\n/);
  const written = parseDocument(text).toJS().connectors[0].subaccounts[0].systemMappings.at(-1);
  t.match(written, { virtualHost: 'added', virtualPort: 8000, authenticationMode: 'NONE', creationDate: /^\d{13}$/, resources: [{ id: '/', enabled: true, creationDate: /^\d{13}$/ }] });
  t.notOk('adminHost' in parseDocument(text).toJS().connectors[0], 'defaults are not written');
  const created = (await admin.get(`${SUB}/systemMappings/added:8000`)).json().creationDate;

  t.equal(await up.stop('SIGTERM'), 0);
  up = startCli(t, ['up', '--config', w.file]);
  await up.waitFor(/scc-sim is up/);
  const again = await admin.get(`${SUB}/systemMappings/added:8000`);
  t.equal(again.status, 200, 'after the restart the mapping is there');
  t.equal(again.json().creationDate, created, 'with the same creationDate');
  const after = await proxyRequest(w.httpPort, { url: 'http://added:8000/', token: await tokenFor(w) }); // a new signing key: a new token
  t.equal(after.text(), 'Hello World!', 'and it works');
  t.equal(await up.stop('SIGTERM'), 0);
});

t.test('scc-sim up: a hand edit is applied live; an invalid one is refused and the world stays', async (t) => {
  const w = await world(t);
  const up = startCli(t, ['up', '--config', w.file]);
  await up.waitFor(/scc-sim is up/);
  const admin = adminClient(endpointOf(w));
  const token = await tokenFor(w);

  writeFileSync(w.file, readFileSync(w.file, 'utf8').replace(/exactMatchOnly: false\s+# "Path And All Sub-Paths"/, 'exactMatchOnly: true   # now path only'));
  await logLine(up, /config file changed: applied/);
  t.match((await admin.get(`${SUB}/systemMappings/virtualhost:3333/resources/-`)).json(), { exactMatchOnly: true });
  t.equal((await proxyRequest(w.httpPort, { url: 'http://virtualhost:3333/sub', token })).status, 403, 'the edit applies to requests');
  t.equal((await proxyRequest(w.httpPort, { url: 'http://virtualhost:3333/', token })).status, 200);

  const valid = readFileSync(w.file, 'utf8');
  const invalid = valid.replace('virtualPort: 3333', 'virtualPort: 99999');
  writeFileSync(w.file, invalid);
  const problem = await logLine(up, /connectors\[0\]\.subaccounts\[0\]\.systemMappings\[0\]\.virtualPort: /);
  t.equal(problem.level, 50, 'logged as an error');
  t.match(up.output(), 'config file change refused, the running configuration stays');
  t.equal((await proxyRequest(w.httpPort, { url: 'http://virtualhost:3333/', token })).status, 200, 'the running world is the last valid one');
  const refused = await admin.post(`${SUB}/systemMappings`, { virtualHost: 'x', virtualPort: '1', localHost: 'h', localPort: '1', protocol: 'HTTP', backendType: 'nonSAPsys' });
  t.same([refused.status, refused.json().type], [409, 'INVALID_CONFIGURATION'], 'an API change over an invalid hand edit is refused');
  t.equal(readFileSync(w.file, 'utf8'), invalid, 'and the hand edit is not overwritten');
  writeFileSync(w.file, valid);
  t.equal(await up.stop('SIGTERM'), 0);
});

t.test('proxy, connector and backend as separate processes follow the one file', async (t) => {
  const w = await world(t);
  const backend = startCli(t, ['backend', '--config', w.file]);
  await backend.waitFor(/"backend":"mail".*backend listening/);
  const proxy = startCli(t, ['proxy', '--config', w.file]);
  await proxy.waitFor(/proxy service listening/);
  const connector = startCli(t, ['connector', '--config', w.file]);
  await connector.waitFor(/tunnel established/);
  t.match(await connector.waitFor(/admin API https:/), `scc-sim connector default: admin API https://127.0.0.1:${w.adminPort}   (user Administrator;`);
  t.match(await connector.waitFor(/admin pages https:/), `scc-sim connector default: admin pages https://127.0.0.1:${w.adminPort}/`);
  const admin = adminClient(endpointOf(w));
  t.equal((await admin.get('/pages/admin.js')).status, 200, 'scc-sim connector serves the admin pages');
  const token = await tokenFor(w);
  const hello = () => proxyRequest(w.httpPort, { url: 'http://virtualhost:3333/', token });

  t.equal((await admin.put(`${SUB}/state`, { connected: false })).status, 204);
  t.equal((await hello()).status, 503, 'disconnected in the connector process: the proxy process answers 503 for the very next request');
  t.equal((await admin.put(`${SUB}/state`, { connected: true })).status, 204);
  t.equal((await hello()).status, 200, 'reconnected: the very next request passes');

  // A new OAuth client, by hand: the proxy process picks it up (token service and proxy alike).
  const text = readFileSync(w.file, 'utf8');
  writeFileSync(w.file, text.replace('        service: connectivity\n', '        service: connectivity\n      - clientid: added-client\n        clientsecret: added-secret\n        service: connectivity\n'));
  await logLine(proxy, /subaccounts, clients, users and destinations changed: applied/);
  const res = await fetch(`http://127.0.0.1:${parseDocument(w.original).getIn(['proxy', 'tokenServicePort'])}/oauth/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }),
    headers: { authorization: `Basic ${Buffer.from('added-client:added-secret').toString('base64')}` },
  });
  t.equal(res.status, 200, 'the new client gets a token from the proxy process');
  const added = (await res.json() as { access_token: string }).access_token;
  t.equal((await proxyRequest(w.httpPort, { url: 'http://virtualhost:3333/', token: added })).status, 200, 'and may use the proxy');
  await logLine(connector, /config file changed: applied/);

  t.equal(await connector.stop('SIGTERM'), 0);
  t.equal(await proxy.stop('SIGTERM'), 0);
  t.equal(await backend.stop('SIGTERM'), 0);
});
