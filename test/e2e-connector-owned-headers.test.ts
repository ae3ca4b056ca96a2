// Regression (issue 11, defect 1: a forged client certificate): on an X509_* mapping a client sent
// its own `SSL-Client-Cert` (dash spelling) and the backend received it next to the connector's
// `ssl_client_cert`; backends that treat '-' and '_' alike (CGI/WSGI/PHP, nginx) took the client's.
// The connector now drops every client header whose name normalises (case, '-'/'_') to one it sets
// itself, whatever the spelling. The connector is a real `scc-sim connector` process.
import t from 'tap';
import { faultWorld } from './helpers/connector-process.js';
import { mapping } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';
import { proxyRequest } from './helpers/proxy-client.js';

const normalised = (name: string) => name.toLowerCase().replace(/-/g, '_');

const w = await faultWorld(t, {
  mappings: [
    mapping({ virtualHost: 'pp-system', authenticationMode: 'X509_GENERAL', hostInHeader: 'INTERNAL' }),
    mapping({ virtualHost: 'plain-system', authenticationMode: 'NONE', hostInHeader: 'VIRTUAL' }),
  ],
});
await w.startConnector();

const FORGED = {
  'SSL-Client-Cert': 'MIIforged-dash',
  'ssl-client_cert': 'MIIforged-mixed',
  SSL_CLIENT_CERT: 'MIIforged-exact',
  'X_Forwarded_Host': 'evil.example:1',
  'x-forwarded_host': 'evil.example:2',
  'x_scc_sim_principal': 'forged-principal',
  'X-SCC-SIM_rule': 'forged-rule',
};

async function seenBy(host: string) {
  const res = await beforeDeadline(proxyRequest(w.ports.httpPort, { url: `http://${host}:3333/echo`, token: w.token, headers: FORGED }),
    10_000, 'the echo answer');
  return { res, headers: res.json().headers as Record<string, string> };
}

t.test('a client SSL-Client-Cert (any spelling) never reaches the backend next to the connector\'s SSL_CLIENT_CERT', async (t) => {
  const { res, headers } = await seenBy('pp-system');
  t.equal(res.status, 200);
  const certs = Object.keys(headers).filter((h) => normalised(h) === 'ssl_client_cert');
  t.same(certs, ['ssl_client_cert'], 'exactly one header that reads as SSL_CLIENT_CERT');
  t.equal(headers.ssl_client_cert, '', 'and it is the connector\'s (empty: no user was propagated)');
  t.notMatch(JSON.stringify(headers), /forged/, 'no forged value anywhere');
});

t.test('a client X-Forwarded-Host or x-scc-sim-* (any spelling) never reaches the backend', async (t) => {
  const { headers } = await seenBy('pp-system');
  const forwardedHost = Object.keys(headers).filter((h) => normalised(h) === 'x_forwarded_host');
  t.same(forwardedHost, ['x-forwarded-host'], 'one X-Forwarded-Host');
  t.equal(headers['x-forwarded-host'], 'pp-system:3333', 'the connector\'s: the virtual host (hostInHeader INTERNAL)');
  t.same(Object.keys(headers).filter((h) => normalised(h).startsWith('x_scc_sim_')), [], 'no internal header');
  t.notMatch(JSON.stringify(headers), /evil\.example/);
});

t.test('on a mapping without X.509 no client header of the connector\'s names arrives either', async (t) => {
  const { headers } = await seenBy('plain-system');
  t.same(Object.keys(headers).filter((h) => ['ssl_client_cert', 'x_forwarded_host'].includes(normalised(h)) || normalised(h).startsWith('x_scc_sim_')), []);
  t.equal(headers.host, 'plain-system:3333', 'Host is the connector\'s (hostInHeader VIRTUAL)');
});

t.test('the connector still serves afterwards', async (t) => {
  const res = await beforeDeadline(proxyRequest(w.ports.httpPort, { url: 'http://virtualhost:3333/', token: w.token }), 10_000, 'Hello World');
  t.equal(res.status, 200);
  t.equal(res.text(), 'Hello World!');
});
