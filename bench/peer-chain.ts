// One hop of a naive peer chain the bench measures scc-sim against (issue 10): the same token
// check (scc-sim's own verifier with its decision cache, the run's signing key and config), the
// location header and the same backend, but no tunnel — a proxy hop that forwards the checked
// request to a connector-like hop, which maps the virtual host to the backend. Each hop forwards
// with one library, naively: undici (a Pool per hop) or http-proxy (a keep-alive agent per hop).
//
// `node dist/bench/peer-chain.js <undici|http-proxy> <proxy|connector> <listenPort> <nextPort> <configFile>`
// (nextPort: the connector hop's port for the proxy hop, the backend's for the connector hop).
// Prints `READY <port>` once it listens.
import http from 'node:http';
import { Pool } from 'undici';
import { loadConfigFile } from '../services/shared/config-load.js';
import { nextHopHeaders } from '../services/shared/tunnel-protocol.js';
import { parseProxyTarget } from '../services/proxy/absolute-url.js';
import { httpProxy } from './http-proxy-module.js';
import { createClientDirectory } from '../services/xsuaa/client-directory.js';
import { loadSigningKeys } from '../services/xsuaa/token-keys.js';
import { createTokenVerifier, type TokenDecision } from '../services/xsuaa/token-verifier.js';

const [kind, role, listenArg, nextArg, configFile] = process.argv.slice(2);
if ((kind !== 'undici' && kind !== 'http-proxy') || (role !== 'proxy' && role !== 'connector') || !configFile) {
  console.error('usage: peer-chain <undici|http-proxy> <proxy|connector> <listenPort> <nextPort> <configFile>');
  process.exit(2);
}
const next = Number(nextArg);
const config = loadConfigFile(configFile);
const LOCATION_HEADER = 'sap-connectivity-scc-location_id';

function answer(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

const hasBody = (req: http.IncomingMessage) => req.headers['transfer-encoding'] !== undefined
  || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/** undici: one Pool to the next hop; the answer's head and body copied onto the response. */
function undiciForward(): (req: http.IncomingMessage, res: http.ServerResponse, path: string, headers: Record<string, string | string[]>) => void {
  const pool = new Pool(`http://127.0.0.1:${next}`, { connections: 1024 });
  return (req, res, path, headers) => {
    pool.request({ method: req.method as 'GET', path, headers, body: hasBody(req) ? req : null }).then(({ statusCode, headers: h, body }) => {
      res.writeHead(statusCode, nextHopHeaders(h as Record<string, string | string[]>));
      body.pipe(res);
      body.once('error', () => res.destroy());
      res.once('close', () => { if (!res.writableFinished) body.destroy(); });
    }, (err: Error) => answer(res, 502, `next hop failed: ${err.message}\n`));
  };
}

/** http-proxy: one proxy server with a keep-alive agent to the next hop. */
function httpProxyForward(): (req: http.IncomingMessage, res: http.ServerResponse, path: string, headers: Record<string, string | string[]>) => void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${next}`, agent, xfwd: false });
  return (req, res, path, headers) => {
    req.url = path;
    Object.defineProperty(req, 'headers', { value: headers, configurable: true });
    proxy.web(req, res, {}, (err: Error) => answer(res, 502, `next hop failed: ${err.message}\n`));
  };
}

const forward = kind === 'undici' ? undiciForward() : httpProxyForward();
let onRequest: http.RequestListener;

if (role === 'proxy') {
  const keys = await loadSigningKeys(config.proxy.signingKeyFile);
  const host = config.proxy.publicHost ?? (config.proxy.host === '0.0.0.0' ? '127.0.0.1' : config.proxy.host);
  const verifier = createTokenVerifier({ keys, config, clientDirectory: createClientDirectory(config), issuerBaseUrl: `http://${host}:${config.proxy.tokenServicePort}` });
  // The one location this chain serves: the bench connector's.
  const served = config.connectors[0]?.subaccounts[0];
  const location = served?.locationID ?? '';
  const subaccount = served?.subaccount;
  const drop = (name: string) => name === 'proxy-authorization' || name.startsWith('sap-connectivity-');
  const routed = (req: http.IncomingMessage, res: http.ServerResponse, target: { host: string; port: number; pathAndQuery: string }, d: TokenDecision) => {
    if (!d.ok) return answer(res, 407, `${d.reason}\n`, { 'proxy-authenticate': 'Bearer' });
    const loc = String(req.headers[LOCATION_HEADER] ?? '').trim();
    if (d.subaccount !== subaccount || loc !== location) return answer(res, 503, 'no connector for this subaccount and location\n');
    const headers = nextHopHeaders(req.headers, drop);
    headers.host = `${target.host}:${target.port}`;
    forward(req, res, target.pathAndQuery, headers);
  };
  onRequest = (req, res) => {
    const target = parseProxyTarget(req.method, req.url);
    if (!target.ok) return answer(res, target.code === 'PROXY_HTTPS_NOT_SUPPORTED' ? 405 : 400, `${target.reason}\n`);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers['proxy-authorization'] ?? '');
    if (!m) return answer(res, 407, 'Proxy-Authorization is missing\n', { 'proxy-authenticate': 'Bearer' });
    const d = verifier.verify(m[1]);
    if (d instanceof Promise) d.then((x) => routed(req, res, target, x), () => answer(res, 500, 'verification failed\n'));
    else routed(req, res, target, d);
  };
} else {
  // Virtual host:port → the backend at `next` (the bench maps one system).
  const mapped = new Set(config.connectors.flatMap((c) => c.subaccounts.flatMap((a) => a.systemMappings).map((m) => `${m.virtualHost}:${m.virtualPort}`.toLowerCase())));
  onRequest = (req, res) => {
    const host = String(req.headers.host ?? '');
    if (!mapped.has(host.toLowerCase())) return answer(res, 403, 'no system mapping\n');
    // hostInHeader VIRTUAL, as the bench's mapping: the virtual Host goes on (nextHopHeaders drops it).
    const headers = nextHopHeaders(req.headers);
    headers.host = host;
    forward(req, res, req.url ?? '/', headers);
  };
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, onRequest);
server.listen(Number(listenArg), '127.0.0.1', () => {
  const a = server.address();
  console.log(`READY ${typeof a === 'object' && a ? a.port : listenArg}`);
});
process.once('SIGTERM', () => { server.close(); server.closeAllConnections(); process.exit(0); });
