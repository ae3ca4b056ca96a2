// Location routing with the shipped example config/examples/two-locations.yaml: two connectors of
// one subaccount expose the same virtualhost:3333, and only SAP-Connectivity-SCC-Location_ID picks
// which one (and so which backend) answers.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../src/simulator.js';
import { proxyRequest } from './helpers/proxy-client.js';

const file = fileURLToPath(new URL('../../config/examples/two-locations.yaml', import.meta.url));
const sim = await startSimulator(file);
t.teardown(() => sim.close());
const token = await sim.token();
const subaccount = sim.credentials.subaccount;

function echo(location?: string) {
  return proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo', token, location });
}

t.test('location WALLDORF is answered by the walldorf backend', async (t) => {
  const res = await echo('WALLDORF');
  t.equal(res.status, 200);
  t.equal(res.json().backend, 'walldorf');
});

t.test('location BERLIN is answered by the berlin backend', async (t) => {
  const res = await echo('BERLIN');
  t.equal(res.status, 200);
  t.equal(res.json().backend, 'berlin');
});

t.test('alternating locations keep reaching their own backend', async (t) => {
  const seen = [];
  for (const loc of ['BERLIN', 'WALLDORF', 'BERLIN', 'WALLDORF']) seen.push((await echo(loc)).json().backend);
  t.same(seen, ['berlin', 'walldorf', 'berlin', 'walldorf']);
});

t.test('no location header means the default location, which no connector serves: 503', async (t) => {
  const res = await echo();
  t.equal(res.status, 503);
  t.equal(res.text(), `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${subaccount}' and SCC location ID ''\n`);
});

t.test('an empty location header is the default location too: 503', async (t) => {
  const res = await echo('');
  t.equal(res.status, 503);
  t.equal(res.headers['x-internal-error-code'], 'SCC_NO_TUNNEL');
});
