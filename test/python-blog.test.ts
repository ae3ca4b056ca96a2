// The blog's DI Python operator (requests with proxies=, a proxy-authorization Bearer header and
// SAP-Connectivity-SCC-Location_ID: FELIXLAPTOP) prints Hello World! through scc-sim, run with
// Debian's python3-requests (which .ci/run installs).
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../src/simulator.js';
import { REPO_ROOT } from './helpers/cli-process.js';

const exec = promisify(execFile);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

t.test('the blog operator prints Hello World! through the FELIXLAPTOP connector', async (t) => {
  const sim = await startSimulator(join(REPO_ROOT, 'config/examples/seed-blog.yaml'));
  t.teardown(() => sim.close());
  const { stdout } = await exec(PYTHON, [join(REPO_ROOT, 'examples/python/blog_http_operator.py')], {
    env: {
      ...process.env,
      SCC_SIM_HTTP_PORT: String(sim.ports.httpPort),
      SCC_SIM_TOKEN_URL: sim.urls.tokenService,
      SCC_SIM_CLIENT_ID: sim.credentials.clientid,
      SCC_SIM_CLIENT_SECRET: sim.credentials.clientsecret,
    },
  });
  t.equal(stdout, 'Generator Start\nHello World!\nGenerator End\n');
});

t.test('the same operator without the FELIXLAPTOP connector gets the SAP 503 text', async (t) => {
  const sim = await startSimulator(join(REPO_ROOT, 'config/scc-sim.yaml'));
  t.teardown(() => sim.close());
  const { stdout } = await exec(PYTHON, [join(REPO_ROOT, 'examples/python/blog_http_operator.py')], {
    env: { ...process.env, SCC_SIM_HTTP_PORT: String(sim.ports.httpPort), SCC_SIM_TOKEN_URL: sim.urls.tokenService },
  });
  t.match(stdout, `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${sim.credentials.subaccount}' and SCC location ID 'FELIXLAPTOP'`);
});
