// The stdlib-only Python SOCKS5 client of examples/python/socks_tcp_client.py (method 0x80 by
// hand, as the blog's readers would write it) echoes a line through scc-sim: against the shipped
// default config with a token it fetches itself, and against a connector at location LOC1.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../src/simulator.js';
import { REPO_ROOT } from './helpers/cli-process.js';
import { world } from './helpers/configs.js';

const exec = promisify(execFile);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = join(REPO_ROOT, 'examples/python/socks_tcp_client.py');

function run(env: Record<string, string>) {
  return exec(PYTHON, [SCRIPT], { env: { ...process.env, ...env }, timeout: 30_000 });
}

t.test('with the default config', async (t) => {
  const sim = await startSimulator(join(REPO_ROOT, 'config/scc-sim.yaml'));
  t.teardown(() => sim.close());

  t.test('the client fetches a token with client credentials and prints the echoed line', async (t) => {
    const { stdout, stderr } = await run({
      SCC_SIM_SOCKS5_PORT: String(sim.ports.socks5Port),
      SCC_SIM_TOKEN_URL: sim.urls.tokenService,
      SCC_SIM_CLIENT_ID: sim.credentials.clientid,
      SCC_SIM_CLIENT_SECRET: sim.credentials.clientsecret,
    });
    t.equal(stdout, 'Hello from Python through the Cloud Connector\n');
    t.equal(stderr, '');
  });

  t.test('a target without a TCP mapping makes the client report REP 02 and exit 1', async (t) => {
    const err = await run({
      SCC_SIM_SOCKS5_PORT: String(sim.ports.socks5Port),
      SCC_SIM_TOKEN: await sim.token(),
      SCC_SIM_TARGET_HOST: 'nowhere.onprem',
      SCC_SIM_TARGET_PORT: '1',
    }).then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    t.equal(err?.code, 1, 'exit code 1');
    t.equal(err?.stdout, '');
    t.match(err?.stderr, /^CONNECT refused: REP 02 \(connection not allowed by ruleset/);
  });
});

t.test('with a connector at location LOC1', async (t) => {
  const cfg = world({
    locationID: 'LOC1',
    mappings: [{ virtualHost: 'echo.onprem', virtualPort: 7, localHost: '127.0.0.1', localPort: 3307, protocol: 'TCP' }],
  });
  cfg.backends = [{ name: 'echo', kind: 'tcp-echo', host: '127.0.0.1', port: 3307 }];
  const sim = await startSimulator(cfg);
  t.teardown(() => sim.close());
  const token = await sim.token();

  t.test('SCC_SIM_LOCATION_ID=LOC1 and a given token: the echoed line is printed', async (t) => {
    const { stdout } = await run({
      SCC_SIM_SOCKS5_PORT: String(sim.ports.socks5Port), SCC_SIM_TOKEN: token,
      SCC_SIM_LOCATION_ID: 'LOC1', SCC_SIM_MESSAGE: 'line for LOC1',
    });
    t.equal(stdout, 'line for LOC1\n');
  });

  t.test('without a location ID the client reports REP 03 and exits 1', async (t) => {
    const err = await run({ SCC_SIM_SOCKS5_PORT: String(sim.ports.socks5Port), SCC_SIM_TOKEN: token })
      .then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    t.equal(err?.code, 1, 'exit code 1');
    t.equal(err?.stdout, '');
    t.match(err?.stderr, /^CONNECT refused: REP 03 \(network unreachable/);
  });
});
