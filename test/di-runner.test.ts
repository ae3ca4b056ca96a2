// The blog's DI operator, unmodified, run by examples/di/run_operator.py against the simulated
// connection management (GET /app/datahub-app-connection/connections/:id) of di-blog.yaml.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../src/simulator.js';
import { REPO_ROOT } from './helpers/cli-process.js';

const exec = promisify(execFile);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const RUNNER = join(REPO_ROOT, 'examples/di/run_operator.py');
const OPERATOR = join(REPO_ROOT, 'examples/di/blog_operator.py');
const CONNECTIONS = '/app/datahub-app-connection/connections';

t.test('the DI runner with the blog operator', async (t) => {
  const sim = await startSimulator(join(REPO_ROOT, 'config/examples/di-blog.yaml'));
  t.teardown(() => sim.close());
  const basic = `Basic ${Buffer.from(`${sim.credentials.clientid}:${sim.credentials.clientsecret}`).toString('base64')}`;
  const run = (...args: string[]) => exec(PYTHON, [RUNNER, OPERATOR, ...args], { env: { ...process.env, PYTHONUNBUFFERED: '1' } })
    .then((r) => ({ code: 0, ...r }), (err) => ({ code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string }));

  t.test('prints exactly what the blog\'s DI console shows, and nothing else', async (t) => {
    const { code, stdout, stderr } = await run('--connection', 'http_connection=HELLO_WORLD', '--sim', sim.urls.tokenService);
    t.equal(code, 0, code === 0 ? 'the runner exits 0' : stderr);
    t.equal(stdout, 'Generator Start\nHello World!\nGenerator End\n');
  });

  t.test('exits non-zero with a clear message for an unknown connection id', async (t) => {
    const { code, stdout, stderr } = await run('--connection', 'http_connection=NO_SUCH', '--sim', sim.urls.tokenService);
    t.equal(code, 2);
    t.equal(stdout, '');
    t.match(stderr, /connection 'NO_SUCH' not found at http:\/\/127\.0\.0\.1:\d+ \(404: Connection 'NO_SUCH' does not exist\)/);
  });

  t.test('serves the connection view the blog logs, with a fresh connectivity token as gateway authentication', async (t) => {
    const res = await fetch(`${sim.urls.tokenService}${CONNECTIONS}/HELLO_WORLD`, { headers: { authorization: basic } });
    t.equal(res.status, 200);
    const view = await res.json() as any;
    t.has(view, {
      configurationType: 'Configuration Manager',
      connectionID: 'HELLO_WORLD',
      connectionProperties: { host: 'virtualhost', port: 3333, protocol: 'HTTP' },
      gateway: { host: '127.0.0.1', port: sim.ports.httpPort, locationID: 'FELIXLAPTOP', type: 'SAP Cloud Connector' },
    });
    t.has(await sim.proxy.verifier.verify(view.gateway.authentication), { ok: true, clientId: sim.credentials.clientid });
    const again = await (await fetch(`${sim.urls.tokenService}${CONNECTIONS}/HELLO_WORLD`, { headers: { authorization: basic } })).json() as any;
    t.not(again.gateway.authentication, view.gateway.authentication, 'each view carries a new token');
  });

  t.test('accepts a Bearer token of a client instead of Basic', async (t) => {
    const res = await fetch(`${sim.urls.tokenService}${CONNECTIONS}/HELLO_WORLD`, { headers: { authorization: `Bearer ${await sim.token()}` } });
    t.equal(res.status, 200);
  });

  t.test('refuses the connection view without valid client credentials', async (t) => {
    const none = await fetch(`${sim.urls.tokenService}${CONNECTIONS}/HELLO_WORLD`);
    t.equal(none.status, 401);
    const wrong = `Basic ${Buffer.from(`${sim.credentials.clientid}:wrong`).toString('base64')}`;
    const bad = await fetch(`${sim.urls.tokenService}${CONNECTIONS}/HELLO_WORLD`, { headers: { authorization: wrong } });
    t.equal(bad.status, 401);
    t.match(await bad.json(), { message: /bad client credentials/ });
  });
});
