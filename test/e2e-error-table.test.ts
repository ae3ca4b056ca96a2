// One test per row of DESIGN.md's error table, through proxy → tunnel → connector → backend over
// real sockets: the status, the exact text, the error code header, and never a token in any answer
// or log line.
import t from 'tap';
import { freePort } from './helpers/cli-process.js';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { startSimulator } from '../src/simulator.js';
import { SUBACCOUNT_A, SUBACCOUNT_B, CLIENT_B, CLIENT_A, mapping, signingKeyFile, world } from './helpers/configs.js';
import { proxyRequest, rawRequest } from './helpers/proxy-client.js';
import { expectError } from './helpers/expect-error.js';
import { captureLog } from './helpers/log-capture.js';
import { expiredToken, keysFromFile } from './helpers/tokens.js';

/** A port nothing listens on: free a moment ago (the OS picked it via port 0), released again. */
const closedPort = freePort;

const keyFile = signingKeyFile((fn) => t.teardown(fn));
const deadPort = await closedPort();
const log = captureLog('trace');
const sim = await startSimulator(world({
  proxy: { signingKeyFile: keyFile },
  mappings: [
    mapping({ resources: [{ id: '/echo', exactMatchOnly: false }] }),
    mapping({ virtualHost: 'dead-system', localPort: deadPort }),
    mapping({ virtualHost: 'slow-system', timeoutMs: 200 }),
  ],
}), { logger: log.logger });
t.teardown(() => sim.close());

const port = sim.ports.httpPort;
const tokenA = await sim.token(CLIENT_A);
const tokenB = await sim.token(CLIENT_B);
const keys = keysFromFile(keyFile);
const expired = await expiredToken(sim, keys, CLIENT_A);
const tokens = [tokenA, tokenB, expired];
const PROXY_AUTH = 'PROXY_AUTHENTICATION_REQUIRED';

t.test('407 with Proxy-Authenticate: Bearer when Proxy-Authorization is missing', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/echo' });
  expectError(t, res, 407, PROXY_AUTH, 'Proxy Authentication Required: Proxy-Authorization header is missing');
  t.match(res.headers['proxy-authenticate'], /^Bearer\b/);
});

t.test('407 with Proxy-Authenticate: Bearer when Proxy-Authorization is not a Bearer token', async (t) => {
  const basic = `Basic ${Buffer.from(`${CLIENT_A}:secret-a`).toString('base64')}`;
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/echo', headers: { 'proxy-authorization': basic } });
  expectError(t, res, 407, PROXY_AUTH, 'Proxy Authentication Required: Proxy-Authorization is not a Bearer token', [basic, 'secret-a']);
  t.match(res.headers['proxy-authenticate'], /^Bearer\b/);
});

t.test('407 with Proxy-Authenticate: Bearer for a garbage token', async (t) => {
  const garbage = 'this-is-not-a-jwt-at-all';
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: garbage });
  expectError(t, res, 407, PROXY_AUTH, 'Proxy Authentication Required: token is not a well-formed JWT', [garbage]);
  t.match(res.headers['proxy-authenticate'], /^Bearer\b/);
});

t.test('407 with Proxy-Authenticate: Bearer for an expired token signed with the real key', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: expired });
  expectError(t, res, 407, PROXY_AUTH, 'Proxy Authentication Required: token expired', [expired]);
  t.match(res.headers['proxy-authenticate'], /^Bearer\b/);
});

t.test('405 for an https:// target', async (t) => {
  const res = await proxyRequest(port, { url: 'https://virtualhost:3333/echo', token: tokenA });
  expectError(t, res, 405, 'PROXY_HTTPS_NOT_SUPPORTED',
    'Method Not Allowed: the connectivity proxy accepts only http:// targets; the Cloud Connector mapping decides whether the backend is reached over HTTPS',
    [tokenA]);
});

// Regression: node hands CONNECT only to a 'connect' listener; without one the proxy dropped the connection.
t.test('405 for CONNECT, not a dropped connection', async (t) => {
  const res = await rawRequest(port, 'CONNECT virtualhost:443 HTTP/1.1\r\nHost: virtualhost:443\r\n'
    + `Proxy-Authorization: Bearer ${tokenA}\r\n\r\n`);
  expectError(t, res, 405, 'PROXY_HTTPS_NOT_SUPPORTED',
    'Method Not Allowed: the connectivity proxy accepts only http:// targets; the Cloud Connector mapping decides whether the backend is reached over HTTPS',
    [tokenA]);
});

t.test('503 with the SAP text for a location ID no connector serves', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: tokenA, location: 'NOWHERE' });
  expectError(t, res, 503, 'SCC_NO_TUNNEL',
    `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_A}' and SCC location ID 'NOWHERE'`,
    [tokenA]);
});

t.test('503 with the SAP text for a subaccount without any connector', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: tokenB });
  expectError(t, res, 503, 'SCC_NO_TUNNEL',
    `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_B}' and SCC location ID ''`,
    [tokenB]);
});

t.test('403 Access denied to system for a virtual host:port that is not mapped', async (t) => {
  const res = await proxyRequest(port, { url: 'http://unmapped-system:4711/echo', token: tokenA });
  expectError(t, res, 403, 'SCC_ACCESS_DENIED_SYSTEM', 'Access denied to system unmapped-system:4711', [tokenA]);
});

t.test('403 Access denied to resource for a path outside every resource', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/secret/file?x=1', token: tokenA });
  expectError(t, res, 403, 'SCC_ACCESS_DENIED_RESOURCE',
    'Access denied to resource http://virtualhost:3333/secret/file on system virtualhost:3333.', [tokenA]);
});

t.test('502 Unable to open connection to backend system when the internal port is closed', async (t) => {
  const res = await proxyRequest(port, { url: 'http://dead-system:3333/', token: tokenA });
  expectError(t, res, 502, 'SCC_BACKEND_UNREACHABLE', 'Unable to open connection to backend system', [tokenA]);
});

t.test('504 when the backend answers later than the mapping timeout', async (t) => {
  const res = await proxyRequest(port, { url: 'http://slow-system:3333/delay/5000', token: tokenA });
  expectError(t, res, 504, 'SCC_BACKEND_TIMEOUT', 'Gateway Timeout: the backend system did not answer within 200 ms', [tokenA]);
});

t.test('no log line of any service contains a token', async (t) => {
  t.ok(log.lines.length > 0, 'the services logged something');
  const text = JSON.stringify(log.lines);
  for (const token of tokens) {
    t.notOk(text.includes(token), 'the token is not in the log');
    // The signature alone is the secret part; it must not leak either.
    t.notOk(text.includes(token.split('.')[2]!), 'the token signature is not in the log');
  }
});
