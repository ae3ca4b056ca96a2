// SPIKE (not product code): which transport should carry requests between the proxy ("cloud")
// and the connector ("on-premise")? DESIGN.md "Performance targets": HTTP/2 over the dialed
// socket, or — if that cannot get there — a pool of reversed HTTP/1.1 connections. This file
// measures both, with everything else stripped away (no token check, no access policy, no log).
//
//   cd /work/main && npx tsc -p . && node dist/bench/spikes/tunnel-transport.js
//
// One file, four roles: without arguments it is the orchestrator; it spawns itself as
//   backend   <port>                                   node:http, GET / and GET /bytes/N
//   proxy     <variant> <httpPort> <tunnelPort> <K>    absolute-form forward proxy → tunnel
//   connector <variant> <tunnelPort> <backendPort> <K> dials the proxy, serves the tunnel with http-proxy
// Variants:
//   h2          one dialed socket, Upgrade, then HTTP/2 with the proxy as client (what the product does)
//   h1-node     K dialed sockets, Upgrade each, proxy sends HTTP/1.1 with http.request + an Agent
//               whose createConnection hands out pooled tunnel sockets (keep-alive)
//   h1-undici   the same K sockets, proxy sends with undici.Pool (connect → pooled socket), dispatch()
//
// All variants are up at once (idle ones cost nothing); each round measures direct and every variant
// in a rotated order, and ratios are taken against the same round's direct window: on a 2-CPU VM
// the direct rate alone swings 2× over a couple of minutes.
//
// Environment: SPIKE_SECONDS (10), SPIKE_WARMUP (2), SPIKE_CONNECTIONS (64), SPIKE_POOL (64),
// SPIKE_ROUNDS (2), SPIKE_BYTES (536870912), SPIKE_VARIANTS (h2,h1-node,h1-undici), SPIKE_PROF (a folder:
// CPU-profile proxies and connectors, summarise round 1's measured windows).
import http from 'node:http';
import http2 from 'node:http2';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import httpProxy from 'http-proxy';
import { nextHopHeaders, TUNNEL_H2_SETTINGS, TUNNEL_MAX_SESSION_MEMORY_MB, TUNNEL_SESSION_WINDOW } from '../../services/shared/tunnel-protocol.js';
import { installCleanup, isStopping, spawnTracked, stopAll } from '../children.js';
import { runLoad, type LoadResult } from '../load.js';
import { cpuMicros, machineCpu } from '../procfs.js';
import { freePorts } from '../ports.js';
import { summarise } from '../profile-summary.js';

type Variant = 'h2' | 'h1-node' | 'h1-undici';
const VARIANTS: Variant[] = ['h2', 'h1-node', 'h1-undici'];
const UPGRADE = 'spike-tunnel';
const VHOST = 'virtualhost:3333';
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Byte pattern of /bytes/N: byte at offset o is o % 251; CHUNK is a whole number of periods.
const CHUNK = Buffer.alloc(251 * 256);
for (let i = 0; i < CHUNK.length; i += 1) CHUNK[i] = i % 251;

function exitWithParent(): void {
  // The orchestrator holds our stdin: when it goes away (even SIGKILL), so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
const ready = () => process.stdout.write('READY\n');

// ---------------------------------------------------------------------------------------------
function backend(port: number): void {
  const server = http.createServer({ noDelay: true }, (req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 12 });
      res.end('Hello World!');
      return;
    }
    const m = req.method === 'GET' ? /^\/bytes\/(\d+)$/.exec(req.url ?? '') : null;
    if (m) {
      const n = Number(m[1]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      let left = n;
      const pump = () => {
        while (left > 0) {
          const c = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
          left -= c.length;
          if (!res.write(c)) { res.once('drain', pump); return; }
        }
        res.end();
      };
      pump();
      return;
    }
    res.writeHead(404, { 'content-length': 0 }).end();
  });
  server.listen(port, '127.0.0.1', ready);
}

// ---------------------------------------------------------------------------------------------
// The proxy: absolute-form HTTP/1.1 forward proxy in front, tunnel endpoint behind.

/** Idle tunnel sockets the connector dialed (h1 variants), and callers waiting for one. */
class SocketPool {
  readonly idle: Socket[] = [];
  readonly waiters: ((s: Socket) => void)[] = [];
  add(s: Socket): void {
    s.once('close', () => { const i = this.idle.indexOf(s); if (i >= 0) this.idle.splice(i, 1); });
    const w = this.waiters.shift();
    if (w) w(s); else this.idle.push(s);
  }
  take(cb: (s: Socket) => void): void {
    const s = this.idle.pop();
    if (s) cb(s); else this.waiters.push(cb);
  }
}

/** http.Agent whose "new connections" are tunnel sockets from the pool (returned sync when idle). */
class TunnelAgent extends http.Agent {
  readonly #pool: SocketPool;
  constructor(pool: SocketPool, k: number) {
    super({ keepAlive: true, maxSockets: k, maxFreeSockets: k, scheduling: 'lifo' });
    this.#pool = pool;
  }
  override createConnection(_o: http.ClientRequestArgs, cb?: (err: Error | null, s: import('node:stream').Duplex) => void) {
    let sync: Socket | undefined;
    let inCall = true;
    this.#pool.take((s) => { if (inCall) sync = s; else cb!(null, s); });
    inCall = false;
    return sync;
  }
}

type Send = (req: http.IncomingMessage, res: http.ServerResponse, authority: string, path: string,
  headers: Record<string, string | string[]>, hasBody: boolean) => void;

function fail(res: http.ServerResponse, status = 502): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': 0, connection: 'close' });
  res.end();
}

const dropForTunnel = (name: string) => name === 'proxy-authorization';

async function proxy(variant: Variant, httpPort: number, tunnelPort: number, k: number): Promise<void> {
  let send: Send;
  let onTunnel: (socket: Socket) => void;

  if (variant === 'h2') {
    let session: http2.ClientHttp2Session | undefined;
    onTunnel = (socket) => {
      const s = http2.connect('http://scc-tunnel', {
        createConnection: () => socket, settings: TUNNEL_H2_SETTINGS,
        maxSessionMemory: TUNNEL_MAX_SESSION_MEMORY_MB, peerMaxConcurrentStreams: 10_000,
      });
      s.on('connect', () => s.setLocalWindowSize(TUNNEL_SESSION_WINDOW));
      s.on('error', (err) => console.error('proxy: session error', err.message));
      s.once('close', () => { if (session === s) session = undefined; });
      session = s;
    };
    send = (req, res, authority, path, headers, hasBody) => {
      if (!session || session.closed || session.destroyed) return fail(res);
      headers[':method'] = req.method!;
      headers[':path'] = path;
      headers[':authority'] = authority;
      headers[':scheme'] = 'http';
      let stream: http2.ClientHttp2Stream;
      try { stream = session.request(headers, { endStream: !hasBody }); } catch { return fail(res); }
      if (hasBody) req.pipe(stream);
      res.on('close', () => { if (!res.writableFinished && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL); });
      stream.on('response', (h) => {
        res.writeHead(Number(h[':status']), nextHopHeaders(h));
        stream.pipe(res);
      });
      stream.on('error', () => fail(res));
      stream.on('close', () => { if (!res.headersSent) fail(res); else if (!res.writableFinished && !stream.readableEnded) res.destroy(); });
    };
  } else {
    const pool = new SocketPool();
    onTunnel = (socket) => pool.add(socket);
    if (variant === 'h1-node') {
      const agent = new TunnelAgent(pool, k);
      send = (req, res, authority, path, headers, hasBody) => {
        headers.host = authority;
        const preq = http.request({ agent, host: 'scc-tunnel', port: 80, method: req.method, path, headers }, (pres) => {
          res.writeHead(pres.statusCode!, nextHopHeaders(pres.headers));
          pres.pipe(res);
          pres.once('aborted', () => res.destroy());
        });
        preq.on('error', () => fail(res));
        res.on('close', () => { if (!res.writableFinished) preq.destroy(); });
        if (hasBody) req.pipe(preq); else preq.end();
      };
    } else {
      // undici is not a dependency of the project (it is in node_modules through node-gyp):
      // load it by a computed name so the project's build never depends on it.
      const name = 'undici';
      const undici = (await import(name)) as any;
      const upool = new undici.Pool('http://scc-tunnel', {
        connections: k, pipelining: 1, keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000,
        connect: (_opts: unknown, cb: (err: Error | null, s: Socket | null) => void) => pool.take((s) => cb(null, s)),
      });
      send = (req, res, authority, path, headers, hasBody) => {
        headers.host = authority;
        let finished = false;
        upool.dispatch({ path, method: req.method, headers, body: hasBody ? req : null }, {
          onConnect(abort: (err?: Error) => void) {
            res.once('close', () => { if (!finished) abort(new Error('client went away')); });
          },
          onHeaders(status: number, raw: Buffer[], resume: () => void) {
            const h: Record<string, string | string[]> = {};
            for (let i = 0; i < raw.length; i += 2) {
              const n = raw[i].toString('latin1').toLowerCase();
              const v = raw[i + 1].toString('latin1');
              const prev = h[n];
              h[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
            }
            res.writeHead(status, nextHopHeaders(h));
            res.on('drain', resume);
            return true;
          },
          onData(chunk: Buffer) { return res.write(chunk); },
          onComplete() { finished = true; res.end(); },
          onError() { finished = true; fail(res); },
          onUpgrade() { /* never */ },
          onBodySent() { /* streamed from req */ },
        });
      };
    }
  }

  const tunnelServer = http.createServer((_req, res) => { res.writeHead(426, { connection: 'close' }).end(); });
  tunnelServer.on('upgrade', (_req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${UPGRADE}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    socket.setNoDelay(true);
    socket.once('end', () => socket.destroy());
    onTunnel(socket);
  });

  const front = http.createServer({ noDelay: true, requireHostHeader: false } as http.ServerOptions, (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith('http://')) return fail(res, 400);
    const slash = url.indexOf('/', 7);
    const authority = slash < 0 ? url.slice(7) : url.slice(7, slash);
    const path = slash < 0 ? '/' : url.slice(slash);
    const hasBody = req.headers['transfer-encoding'] !== undefined
      || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    send(req, res, authority, path, nextHopHeaders(req.headers, dropForTunnel), hasBody);
  });
  await new Promise<void>((r) => tunnelServer.listen(tunnelPort, '127.0.0.1', r));
  await new Promise<void>((r) => front.listen(httpPort, '127.0.0.1', r));
  ready();
}

// ---------------------------------------------------------------------------------------------
// The connector: dial the proxy, serve what arrives with http-proxy to the backend.
function connector(variant: Variant, tunnelPort: number, backendPort: number, k: number): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' });
  const fwd = httpProxy.createProxyServer({ xfwd: false, changeOrigin: false, prependPath: false });
  const options: httpProxy.ServerOptions = { target: { protocol: 'http:', host: '127.0.0.1', port: backendPort } as any, agent };
  fwd.on('proxyRes', (proxyRes) => {
    proxyRes.headers = nextHopHeaders(proxyRes.headers) as http.IncomingHttpHeaders;
    proxyRes.statusMessage = ''; // HTTP/2 has no reason phrase
  });
  const onRequest = (req: any, res: any) => {
    const authority = req.headers[':authority'] ?? req.headers.host;
    const headers = nextHopHeaders(req.headers);
    headers.host = authority;
    Object.defineProperty(req, 'headers', { value: headers, configurable: true });
    fwd.web(req, res, options, () => {
      if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy();
    });
  };

  let server: http.Server | http2.Http2Server;
  if (variant === 'h2') {
    const h2 = http2.createServer({ settings: TUNNEL_H2_SETTINGS, maxSessionMemory: TUNNEL_MAX_SESSION_MEMORY_MB }, onRequest);
    h2.on('session', (s) => { s.on('connect', () => s.setLocalWindowSize(TUNNEL_SESSION_WINDOW)); s.on('error', () => {}); });
    server = h2;
  } else {
    const h1 = http.createServer({ noDelay: true }, onRequest);
    h1.keepAliveTimeout = 0; // a tunnel socket is never idle-closed by the connector
    h1.requestTimeout = 0;
    h1.headersTimeout = 0;
    server = h1;
  }

  const sockets = variant === 'h2' ? 1 : k;
  let up = 0;
  const dial = (first: boolean): void => {
    const req = http.request({
      host: '127.0.0.1', port: tunnelPort, path: '/tunnel', method: 'GET', agent: false,
      headers: { connection: 'Upgrade', upgrade: UPGRADE },
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      socket.on('error', () => socket.destroy());
      socket.once('end', () => socket.destroy());
      socket.once('close', () => setTimeout(() => dial(false), 10)); // replace a lost tunnel socket
      server.emit('connection', socket);
      if (first && (up += 1) === sockets) ready();
    });
    req.on('response', (res) => { res.resume(); console.error(`connector: tunnel refused ${res.statusCode}`); });
    req.on('error', (err) => { console.error(`connector: dial failed ${err.message}`); setTimeout(() => dial(first), 100); });
    req.end();
  };
  for (let i = 0; i < sockets; i += 1) dial(true);
}

// ---------------------------------------------------------------------------------------------
// The orchestrator.
const env = process.env;
const num = (n: string, d: number) => { const v = Number(env[n] ?? d); if (!Number.isFinite(v) || v < 0) throw new Error(`${n} must be a number`); return v; };
const cfg = {
  seconds: num('SPIKE_SECONDS', 10),
  warmup: num('SPIKE_WARMUP', 2),
  connections: num('SPIKE_CONNECTIONS', 64),
  pool: num('SPIKE_POOL', 64),
  rounds: Math.max(1, num('SPIKE_ROUNDS', 2)),
  bytes: num('SPIKE_BYTES', 512 * 1024 * 1024),
  /** A folder: run proxies and connectors with --cpu-prof there, summarise each round-1 window. */
  prof: env.SPIKE_PROF || '',
  variants: (env.SPIKE_VARIANTS || VARIANTS.join(',')).split(',').map((s) => s.trim()) as Variant[],
};
const log = (s: string) => console.log(s);

function startRole(args: string[], label: string): Promise<ChildProcess> {
  const prof = cfg.prof && args[0] !== 'backend'
    ? ['--cpu-prof', `--cpu-prof-dir=${cfg.prof}`, `--cpu-prof-name=${args[1]}-${args[0]}.cpuprofile`] : [];
  const child = spawnTracked(process.execPath, [...prof, SELF, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} not ready within 15 s`)), 15_000);
    let buf = '';
    child.stdout!.on('data', (c) => {
      buf += c;
      if (buf.includes('READY\n')) { clearTimeout(timer); resolve(child); }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? sig}) before it was ready`));
      if (code !== 0) console.error(`${label} (pid ${child.pid}) exited with ${code ?? sig}`);
    });
  });
}

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer; bytes: number; seconds: number }
/** One request (own connection); `keep` false counts the body without keeping it. */
function get(port: number, path: string, keep = true): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: path.startsWith('http://') ? { host: VHOST } : {} }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; if (keep) chunks.push(c); });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
      res.once('error', reject);
      res.once('aborted', () => reject(new Error(`aborted after ${bytes} bytes`)));
    });
    req.once('error', reject);
    req.end();
  });
}

async function smoke(label: string, port: number, prefix: string): Promise<void> {
  const a = await get(port, `${prefix}/`);
  if (a.status !== 200 || a.body.toString() !== 'Hello World!') throw new Error(`smoke ${label}: GET / gave ${a.status} ${JSON.stringify(a.body.toString().slice(0, 200))}`);
  const n = 1_000_003;
  const b = await get(port, `${prefix}/bytes/${n}`);
  const bad = b.body.findIndex((v, i) => v !== i % 251);
  if (b.status !== 200 || b.body.length !== n || Number(b.headers['content-length']) !== n || bad >= 0) {
    throw new Error(`smoke ${label}: GET /bytes/${n} gave ${b.status}, ${b.body.length} bytes, content-length ${b.headers['content-length']}, first bad byte at ${bad}`);
  }
  const c = await get(port, `${prefix}/nope`);
  if (c.status !== 404) throw new Error(`smoke ${label}: GET /nope gave ${c.status}`);
}

interface Measured { load: LoadResult; cpu: Record<string, number>; softirqUs: number; busy: number; window: { from: number; to: number } }
async function measure(label: string, port: number, path: string, pids: Record<string, number>, dir: string): Promise<Measured> {
  const headers: Record<string, string> = path.startsWith('http://') ? { Host: VHOST } : {};
  const spec = { port, path, headers, connections: cfg.connections, threads: 1 };
  if (cfg.warmup > 0) await runLoad('wrk', { ...spec, seconds: cfg.warmup }, dir);
  const before = Object.fromEntries(Object.entries(pids).map(([r, pid]) => [r, cpuMicros(pid)]));
  const m0 = machineCpu();
  const t0 = process.hrtime.bigint();
  const load = await runLoad('wrk', { ...spec, seconds: cfg.seconds }, dir);
  const windowUs = Number(process.hrtime.bigint() - t0) / 1000;
  const window = { from: Number(t0 / 1000n), to: Number(t0 / 1000n) + windowUs };
  const m1 = machineCpu();
  const used = Object.fromEntries(Object.entries(pids).map(([r, pid]) => [r, cpuMicros(pid) - before[r]]));
  const cpu = Object.fromEntries(Object.entries(used).map(([r, us]) => [r, us / load.requests]));
  // Machine-wide view of the window: how many of the CPUs were busy, how much in softirq (charged
  // to no process), and how much in processes other than ours and wrk (noise from outside).
  const cores = (m1.totalUs - m0.totalUs) / windowUs;
  const busy = (m1.processUs + m1.irqUs - m0.processUs - m0.irqUs) / windowUs;
  const irqUs = m1.irqUs - m0.irqUs;
  const ours = Object.values(used).reduce((a, b) => a + b, 0) / windowUs;
  const other = Math.max(0, (m1.processUs - m0.processUs) / windowUs - ours - load.loadgenCpuUs / windowUs);
  const errors = Object.entries(load.errors).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
  log(`  ${label}: ${load.requests} req in ${load.seconds.toFixed(1)} s = ${load.rps.toFixed(0)} req/s, p50 ${(load.p50 / 1000).toFixed(2)} ms, p99 ${(load.p99 / 1000).toFixed(2)} ms; `
    + `CPU µs/req ${Object.entries(cpu).map(([r, v]) => `${r} ${v.toFixed(1)}`).join(', ')}, softirq ${(irqUs / load.requests).toFixed(1)}; wrk ${(load.loadgenCpuUs / windowUs).toFixed(2)} cores; `
    + `machine busy ${busy.toFixed(2)}/${cores.toFixed(0)} cores (measured processes ${ours.toFixed(2)}, other processes ${other.toFixed(2)})${errors ? `; ERRORS ${errors}` : ''}`);
  return { load, cpu, softirqUs: irqUs / load.requests, busy, window };
}

/** read/write syscalls so far (/proc/<pid>/io), to see how finely a stream is chopped. */
function syscalls(pid: number): { r: number; w: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { r: Number(/^syscr: (\d+)/m.exec(io)?.[1]), w: Number(/^syscw: (\d+)/m.exec(io)?.[1]) };
  } catch { return { r: NaN, w: NaN }; }
}

async function download(label: string, port: number, prefix: string, pids: Record<string, number>): Promise<number> {
  const before = Object.fromEntries(Object.entries(pids).map(([r, pid]) => [r, cpuMicros(pid)]));
  const sys0 = Object.fromEntries(Object.entries(pids).map(([r, pid]) => [r, syscalls(pid)]));
  const a = await get(port, `${prefix}/bytes/${cfg.bytes}`, false);
  if (a.status !== 200 || a.bytes !== cfg.bytes || Number(a.headers['content-length']) !== cfg.bytes) {
    throw new Error(`${label}: expected 200 with ${cfg.bytes} bytes, got ${a.status}, ${a.bytes} bytes`);
  }
  const mbps = a.bytes / 1e6 / a.seconds;
  const cores = Object.entries(pids).map(([r, pid]) => `${r} ${((cpuMicros(pid) - before[r]) / 1e6 / a.seconds).toFixed(2)}`).join(', ');
  const kb = (n: number) => (n > 0 ? (a.bytes / n / 1024).toFixed(0) : '-');
  const sys = Object.entries(pids).map(([r, pid]) => { const x = syscalls(pid); return `${r} ${kb(x.r - sys0[r].r)}/${kb(x.w - sys0[r].w)}`; }).join(', ');
  log(`  ${label}: ${a.bytes} bytes in ${a.seconds.toFixed(2)} s = ${mbps.toFixed(0)} MB/s (length verified); CPU cores ${cores}; KiB per read/write syscall ${sys}`);
  return mbps;
}

type Name = 'direct' | Variant;
interface Target { name: Name; port: number; prefix: string; pids: Record<string, number> }
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function orchestrate(): Promise<void> {
  installCleanup();
  const unknown = cfg.variants.filter((v) => !VARIANTS.includes(v));
  if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}: choose from ${VARIANTS.join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-spike-'));
  const undiciName = 'undici';
  const undiciThere = await import(undiciName).then(() => true, () => false);
  log(`tunnel-transport spike — ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  log(`  wrk -t1 -c${cfg.connections}, warm-up ${cfg.warmup} s + measure ${cfg.seconds} s per window; ${cfg.rounds} rounds, order rotated each round; `
    + `pool K=${cfg.pool}; download ${cfg.bytes} bytes per target per round`);
  const [backendPort] = await freePorts(1);
  const backendProc = await startRole(['backend', String(backendPort)], 'backend');
  await smoke('direct', backendPort, '');
  const targets: Target[] = [{ name: 'direct', port: backendPort, prefix: '', pids: { backend: backendProc.pid! } }];
  for (const variant of cfg.variants) {
    if (variant === 'h1-undici' && !undiciThere) { log('  h1-undici SKIPPED: undici is not in node_modules'); continue; }
    const [httpPort, tunnelPort] = await freePorts(2);
    const proxyProc = await startRole(['proxy', variant, String(httpPort), String(tunnelPort), String(cfg.pool)], `${variant} proxy`);
    const connectorProc = await startRole(['connector', variant, String(tunnelPort), String(backendPort), String(cfg.pool)], `${variant} connector`);
    await smoke(variant, httpPort, `http://${VHOST}`);
    targets.push({ name: variant, port: httpPort, prefix: `http://${VHOST}`, pids: { proxy: proxyProc.pid!, connector: connectorProc.pid!, backend: backendProc.pid! } });
  }
  log(`  all up; smoke checks passed for ${targets.map((t) => t.name).join(', ')}: GET / = "Hello World!", GET /bytes/1000003 byte-exact, GET /nope = 404`);

  const runs = new Map<Name, { m: Measured; mbps: number; ratio: number; dlRatio: number }[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < cfg.rounds; r += 1) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    log(`\nround ${r + 1}: ${order.map((t) => t.name).join(' → ')}`);
    const m = new Map<Name, Measured>();
    for (const t of order) m.set(t.name, await measure(t.name, t.port, t.prefix === '' ? '/' : `${t.prefix}/`, t.pids, dir));
    const dl = new Map<Name, number>();
    for (const t of order) dl.set(t.name, await download(`download ${t.name}`, t.port, t.prefix, t.pids));
    for (const t of targets) {
      runs.get(t.name)!.push({ m: m.get(t.name)!, mbps: dl.get(t.name)!,
        ratio: m.get(t.name)!.load.rps / m.get('direct')!.load.rps, dlRatio: dl.get(t.name)! / dl.get('direct')! });
    }
  }

  log(`\nSummary: mean of ${cfg.rounds} rounds; ratios are taken per round against that round's direct window, then averaged`);
  log('  target       req/s   ratio  p50 ms  p99 ms  proxy µs  conn µs  p+c µs  backend µs  softirq µs  busy   MB/s  ratio');
  const f = (x: number, w: number, d = 1) => x.toFixed(d).padStart(w);
  for (const t of targets) {
    const rs = runs.get(t.name)!;
    const cpu = (role: string) => mean(rs.map((x) => x.m.cpu[role] ?? NaN));
    const proxyUs = cpu('proxy');
    const connUs = cpu('connector');
    log(`  ${t.name.padEnd(10)} ${f(mean(rs.map((x) => x.m.load.rps)), 7, 0)}  ${f(mean(rs.map((x) => x.ratio)), 5, 3)}×  ${f(mean(rs.map((x) => x.m.load.p50)) / 1000, 6, 2)}  ${f(mean(rs.map((x) => x.m.load.p99)) / 1000, 6, 2)}`
      + `  ${t.name === 'direct' ? '       -        -       -' : `${f(proxyUs, 8)}  ${f(connUs, 7)}  ${f(proxyUs + connUs, 6)}`}  ${f(cpu('backend'), 10)}  ${f(mean(rs.map((x) => x.m.softirqUs)), 10)}`
      + `  ${f(mean(rs.map((x) => x.m.busy)), 4, 2)}  ${f(mean(rs.map((x) => x.mbps)), 5, 0)}  ${f(mean(rs.map((x) => x.dlRatio)), 4, 2)}×`);
  }
  await stopAll(2000); // children exit(0) on SIGTERM, which writes their --cpu-prof files
  if (cfg.prof) {
    for (const t of targets.slice(1)) {
      const { m } = runs.get(t.name)![0];
      for (const role of ['proxy', 'connector']) {
        const file = join(cfg.prof, `${t.name}-${role}.cpuprofile`);
        log(`\n${summarise(file, { top: 25, window: { ...m.window, label: `round 1 ${t.name} window` }, requests: m.load.requests }).text}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
const [role, ...args] = process.argv.slice(2);
if (role === undefined) {
  orchestrate().then(() => process.exit(0), async (err) => {
    if (isStopping()) return; // SIGINT/SIGTERM: installCleanup stops the children and exits
    console.error(`\nspike failed: ${(err as Error).stack ?? err}`);
    await stopAll(2000);
    process.exit(1);
  });
} else {
  exitWithParent();
  process.once('SIGTERM', () => process.exit(0)); // a clean exit writes the --cpu-prof file
  const n = (i: number) => Number(args[i]);
  if (role === 'backend') backend(n(0));
  else if (role === 'proxy') void proxy(args[0] as Variant, n(1), n(2), n(3)).catch((err) => { console.error(err); process.exit(1); });
  else if (role === 'connector') connector(args[0] as Variant, n(1), n(2), n(3));
  else { console.error(`unknown role ${role}`); process.exit(2); }
}
