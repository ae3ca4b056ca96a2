// The config store: every change validated as a whole, written atomically with the file's
// comments and layout, applied in order; a failed validation or write changes nothing; hand
// edits are picked up, invalid ones refused; runtime-only values never reach the file.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'yaml';
import { ConfigError } from '../services/shared/config-load.js';
import type { Config } from '../services/shared/config-schema.js';
import { ConfigFileConflict, ConfigStore } from '../services/shared/config-store.js';
import { captureLog } from './helpers/log-capture.js';

const FILE = `# my world
subaccounts:
  - subaccount: sa-1        # the one subaccount
    subdomain: sim
    cloudUser: u
    cloudPassword: p
    clients: [{ clientid: c, clientsecret: s }]

connectors:
  - name: k                 # a connector
    subaccounts:
      - subaccount: sa-1
        cloudUser: u
        cloudPassword: p
        systemMappings:
          - virtualHost: vh       # first system
            virtualPort: 80
            localHost: 127.0.0.1
            localPort: 8080
`;

function tempFile(t: Test, text = FILE): string {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'world.yaml');
  writeFileSync(file, text);
  return file;
}

const MAPPINGS = ['connectors', 0, 'subaccounts', 0, 'systemMappings'];
const addMapping = (host: string, port: number | string = 81) => (doc: Document) =>
  doc.addIn(MAPPINGS, doc.createNode({ virtualHost: host, virtualPort: port, localHost: '127.0.0.1', localPort: 8080 }));
const hosts = (c: Config) => c.connectors[0].subaccounts[0].systemMappings.map((m) => m.virtualHost);

t.test('a change is written with every comment and the layout of the rest of the file', async (t) => {
  const file = tempFile(t);
  const store = ConfigStore.open(file);
  t.teardown(() => store.close());
  await store.update(addMapping('added'));
  const text = readFileSync(file, 'utf8');
  t.ok(text.startsWith(FILE), 'the original text is the start of the new one');
  t.match(text.slice(FILE.length), /- virtualHost: added\n\s+virtualPort: 81\n/);
  t.same(hosts(store.config), ['vh', 'added']);
  t.same(readdirSync(join(file, '..')), ['world.yaml'], 'no temp or lock file is left behind');
});

t.test('a change that fails validation changes neither memory nor the file', async (t) => {
  const file = tempFile(t);
  const store = ConfigStore.open(file);
  t.teardown(() => store.close());
  const before = store.config;
  const err = await store.update(addMapping('bad', 70000)).catch((e: unknown) => e);
  t.ok(err instanceof ConfigError, 'the whole config was validated');
  t.match((err as ConfigError).problems, [/^connectors\[0\]\.subaccounts\[0\]\.systemMappings\[1\]\.virtualPort: /]);
  t.equal(store.config, before, 'the running config is the same object');
  t.equal(readFileSync(file, 'utf8'), FILE, 'the file is untouched');
  const thrown = await store.update(() => { throw new Error('the change itself failed'); }).catch((e: Error) => e.message);
  t.equal(thrown, 'the change itself failed');
  await store.update(addMapping('after'));
  t.same(hosts(store.config), ['vh', 'after'], 'the queue goes on after a failed change');
});

t.test('a write that fails changes neither memory nor the file', async (t) => {
  const file = tempFile(t);
  const store = ConfigStore.open(file);
  t.teardown(() => store.close());
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'pipe' }); // immutable: the rename over it fails, even for root
  } catch {
    t.pass('skipped: chattr +i is not available here', { skip: true });
    return;
  }
  t.teardown(() => execFileSync('chattr', ['-i', file]));
  const before = store.config;
  const err = await store.update(addMapping('lost')).catch((e: NodeJS.ErrnoException) => e);
  t.equal((err as NodeJS.ErrnoException).code, 'EPERM');
  t.equal(store.config, before);
  t.equal(readFileSync(file, 'utf8'), FILE);
  t.same(readdirSync(join(file, '..')), ['world.yaml'], 'the temp file is removed');
});

t.test('20 changes at once all land, in order, in memory and in the file', async (t) => {
  const file = tempFile(t);
  const store = ConfigStore.open(file);
  t.teardown(() => store.close());
  const names = Array.from({ length: 20 }, (_, i) => `host-${i}`);
  await Promise.all(names.map((n) => store.update(addMapping(n))));
  t.same(hosts(store.config), ['vh', ...names]);
  t.same(hosts(ConfigStore.open(file).config), ['vh', ...names], 'the file says the same');
});

t.test('two stores on one file (two processes) take turns and lose nothing', async (t) => {
  const file = tempFile(t);
  const a = ConfigStore.open(file);
  const b = ConfigStore.open(file);
  t.teardown(() => { a.close(); b.close(); });
  await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).update(addMapping(`host-${i}`))));
  const final = hosts(ConfigStore.open(file).config);
  t.same([...final].sort(), ['vh', ...Array.from({ length: 10 }, (_, i) => `host-${i}`)].sort());
});

t.test('a hand edit is applied; an invalid one is refused with path: message lines and the world stays', async (t) => {
  const file = tempFile(t);
  const log = captureLog();
  const store = ConfigStore.open(file, { logger: log.logger });
  t.teardown(() => store.close());
  store.watch();
  const changed = once(store, 'change');
  writeFileSync(file, FILE.replace('virtualHost: vh ', 'virtualHost: edited '));
  const [config, source] = await changed;
  t.equal(source, 'file');
  t.same(hosts(config), ['edited']);
  t.same(hosts(store.config), ['edited']);

  const rejected = once(store, 'rejected');
  writeFileSync(file, FILE.replace('virtualPort: 80', 'virtualPort: 99999'));
  const [problems] = await rejected;
  t.match(problems, [/^connectors\[0\]\.subaccounts\[0\]\.systemMappings\[0\]\.virtualPort: /]);
  await log.waitFor((l) => /^connectors\[0\]\.subaccounts\[0\]\.systemMappings\[0\]\.virtualPort: /.test(l.msg));
  t.same(hosts(store.config), ['edited'], 'the running world is the last valid one');
});

t.test('an API change builds on a hand edit not yet applied; over an invalid one it is refused', async (t) => {
  const file = tempFile(t);
  const store = ConfigStore.open(file);
  t.teardown(() => store.close());
  writeFileSync(file, FILE.replace('virtualHost: vh ', 'virtualHost: byhand '));
  await store.update(addMapping('api'));
  t.same(hosts(store.config), ['byhand', 'api']);
  t.match(readFileSync(file, 'utf8'), /virtualHost: byhand +# first system/);

  const broken = readFileSync(file, 'utf8').replace('virtualPort: 80', 'virtualPort: [');
  writeFileSync(file, broken);
  const err = await store.update(addMapping('never')).catch((e: unknown) => e);
  t.ok(err instanceof ConfigFileConflict, String(err));
  t.equal(readFileSync(file, 'utf8'), broken, 'the hand edit is not overwritten');
  t.same(hosts(store.config), ['byhand', 'api']);
});

t.test('environment overrides and the runtime view run, but never reach the file', async (t) => {
  const file = tempFile(t);
  const store = ConfigStore.open(file, { env: { SCC_SIM_HTTP_PORT: '1234', SCC_SIM_ADMIN_PORT: '0' } });
  t.teardown(() => store.close());
  await store.setRuntimeView((c) => {
    const v = structuredClone(c);
    v.connectors[0].subaccounts[0].systemMappings[0].localPort = 45678;
    return v;
  });
  t.equal(store.config.proxy.httpPort, 1234);
  t.equal(store.config.connectors[0].subaccounts[0].systemMappings[0].localPort, 45678);
  t.equal(store.fileConfig.proxy.httpPort, 20003, 'the file view has no override');
  await store.update(addMapping('added'));
  t.equal(store.config.connectors[0].subaccounts[0].systemMappings[0].localPort, 45678, 'the view is applied to every new config');
  const text = readFileSync(file, 'utf8');
  t.notMatch(text, /1234|45678|adminPort/, text);
  t.notMatch(text, /regionHost|cf\.sim/, 'defaults are not written either');
});

t.test('with a config object, changes apply in memory and the object is not touched', async (t) => {
  const input = { subaccounts: [{ subaccount: 'sa-1', subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] }],
    connectors: [{ name: 'k', subaccounts: [{ subaccount: 'sa-1', cloudUser: 'u', cloudPassword: 'p', systemMappings: [] as unknown[] }] }] };
  const copy = structuredClone(input);
  const store = ConfigStore.fromObject(input);
  t.equal(store.file, undefined);
  await store.update(addMapping('mem'));
  t.same(hosts(store.config), ['mem']);
  t.same(input, copy);
});
