// startSimulator's handle per connector: the admin API's address and the typed helpers, which
// call the admin operations directly. Started from a file, the helpers' changes are written to it;
// started from a config object, nothing is written anywhere.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startSimulator } from '../src/simulator.js';
import { HELLO_PORT, SUBACCOUNT_A, world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';

t.test('from a file: the helpers\' changes are written to it (file view: the configured backend port, not the ephemeral one)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-handle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'world.yaml');
  writeFileSync(file, stringify(world()));
  const sim = await startSimulator(file);
  t.teardown(() => sim.close());
  const k = sim.connector('connector-a');
  await k.addSystemMapping({ virtualHost: 'helper', virtualPort: '81', localHost: '127.0.0.1', localPort: String(HELLO_PORT) });
  await k.addResource('helper', 81, { id: '/' });
  const token = await sim.token();
  t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://helper:81/', token })).text(), 'Hello World!');
  const before = parse(readFileSync(file, 'utf8')).connectors[0];
  t.match(before.systemMappings.at(-1), { virtualHost: 'helper', virtualPort: 81, localPort: HELLO_PORT, resources: [{ id: '/', enabled: true }] },
    'the file has the mapping as configured (the one-subaccount shape is kept)');
  await k.disconnect();
  const written = parse(readFileSync(file, 'utf8')).connectors[0];
  t.match(written.subaccounts?.[0], { subaccount: SUBACCOUNT_A, connected: false, systemMappings: [{}, { virtualHost: 'helper' }] },
    'the disconnect needed the subaccounts[] shape: the connector was converted, its mappings moved along');
  t.equal(written.subaccount, undefined);
  t.notMatch(readFileSync(file, 'utf8'), String(sim.backends.hello.port), 'the ephemeral backend port is never written');
  t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://helper:81/', token })).status, 503);
  await k.connect();
  t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://helper:81/', token })).status, 200);
  await k.removeResource('helper', 81, '/');
  await k.removeSystemMapping('helper', 81);
  t.notMatch(readFileSync(file, 'utf8'), 'helper');
});

t.test('from a config object: changes apply, nothing is written, the object is untouched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-handle-mem-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = world();
  const copy = structuredClone(input);
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  const sim = await startSimulator(input);
  t.teardown(() => sim.close());
  const k = sim.connector();
  t.equal(sim.configStore.file, undefined);
  await k.addSystemMapping({ virtualHost: 'memory', virtualPort: '82', localHost: '127.0.0.1', localPort: String(HELLO_PORT) });
  await k.addResource('memory', 82, { id: '/', enabled: false });
  await k.resumeResource('memory', 82, '/');
  t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://memory:82/', token: await sim.token() })).status, 200);
  t.same(input, copy, 'the config object is not changed');
  t.same(readdirSync(dir).filter((f) => f !== '.scc-sim'), [], 'no file was written');
  t.match(sim.config.connectors[0].subaccounts[0].systemMappings.at(-1), { virtualHost: 'memory', localPort: sim.backends.hello.port });
  t.match(k.operations.getSystemMapping({ regionHost: 'cf.sim.hana.ondemand.com', subaccount: SUBACCOUNT_A }, 'memory', '82'), { localPort: HELLO_PORT },
    'the API shows the configured port');
});
