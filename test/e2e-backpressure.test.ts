// Backpressure through proxy → tunnel → connector → backend, both ways: a reader that does not
// read stops the writer at the far end, with no more bytes between them than the sockets on the
// way hold. The reader (the client on downloads, the backend on uploads) reads nothing until the
// writer is stuck: its write() returned false and no 'drain' came while five other requests made
// the round trip through the same proxy and connector (the hops had every chance to read on). A
// hop that ignores a full socket and buffers in memory instead keeps reading, so the writer
// drains and runs ahead by the whole body, past the bound: the test fails (tried: each hop's pause
// taken out in turn — proxy and connector, each direction).
//
// The bound is what the kernel can hold on the three TCP connections of the path (the largest
// send plus receive buffer each, from /proc) plus 16 MiB for the services' own buffers; the body
// is 64 MiB longer than the bound, so buffering all of it cannot stay under it.
import t, { type Test } from 'tap';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { patternSha256, patternStream } from '../services/backend/byte-pattern.js';
import { startSimulator } from '../src/simulator.js';
import { mapping, world } from './helpers/configs.js';
import { LOCATION_HEADER, proxyRequest } from './helpers/proxy-client.js';

const MiB = 1024 * 1024;
/** The largest buffer (bytes) autotuning may give a TCP socket: the third field of tcp_rmem / tcp_wmem. */
const tcpMax = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
const HOPS = 3; // client ↔ proxy, proxy ↔ connector (the carrier), connector ↔ backend
const BOUND = HOPS * (tcpMax('tcp_rmem') + tcpMax('tcp_wmem')) + 16 * MiB;
const SIZE = BOUND + 64 * MiB;

/** A writer's lead over its reader, checked at every write. */
class Lead {
  written = 0;
  read = 0;
  max = 0;
  /** Set once the writer was stuck (stuck() below) and the reader let go. */
  stuck = false;
  wrote(n: number): void {
    this.written += n;
    this.max = Math.max(this.max, this.written - this.read);
  }
}

/**
 * Writes SIZE pattern bytes with `write`; at each full socket, asks whether the writer is stuck,
 * and once it is, lets the reader go (`release`). Resolves once everything is written.
 */
async function writeAll(lead: Lead, write: (chunk: Buffer) => boolean, drain: () => Promise<unknown>, release: () => void): Promise<void> {
  for await (const chunk of patternStream(SIZE)) {
    lead.wrote(chunk.length);
    if (write(chunk)) continue;
    const drained = drain(); // listened for at once: it may come during the round trips
    if (!lead.stuck && await stuck(drained)) {
      lead.stuck = true;
      release();
    }
    await drained;
  }
  release(); // a path that took it all without the writer ever being stuck: the reader finishes, the lead assertion fails
}

/** Whether `drained` stays unsettled while five requests, one after the other, go through the proxy and the connector. */
async function stuck(drained: Promise<unknown>): Promise<boolean> {
  let came = false;
  void drained.then(() => { came = true; });
  for (let i = 0; i < 5 && !came; i += 1) {
    const res = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/', token });
    if (res.status !== 200) throw new Error(`a round trip beside the transfer got ${res.status}`);
  }
  return !came;
}

// The backend: GET /download writes SIZE bytes as writeAll does; POST /upload reads only once
// released (hooks of the test that runs).
let download: { lead: Lead; release: () => void } | undefined;
let upload: { lead: Lead; hash: ReturnType<typeof createHash>; started: (req: http.IncomingMessage) => void } | undefined;
const backend = http.createServer(async (req, res) => {
  if (req.url === '/download' && download) {
    const d = download;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
    await writeAll(d.lead, (c) => res.write(c), () => once(res, 'drain'), d.release);
    res.end();
  } else if (req.url === '/upload' && upload) {
    const u = upload;
    req.on('data', (chunk: Buffer) => { u.lead.read += chunk.length; u.hash.update(chunk); });
    req.pause();
    u.started(req);
    req.on('end', () => res.end(JSON.stringify({ bytes: u.lead.read, sha256: u.hash.digest('hex') })));
  } else {
    res.writeHead(404).end();
  }
});
backend.listen(0, '127.0.0.1');
await once(backend, 'listening');
t.teardown(() => { backend.closeAllConnections(); backend.close(); });

const sim = await startSimulator(world({
  mappings: [mapping(), mapping({ virtualHost: 'paced', virtualPort: 80, localPort: (backend.address() as AddressInfo).port })],
}));
t.teardown(() => sim.close());
const token = await sim.token();

function viaProxy(method: string, path: string): http.ClientRequest {
  return http.request({
    host: '127.0.0.1', port: sim.ports.httpPort, method, path: `http://paced:80${path}`, agent: false,
    headers: { 'proxy-authorization': `Bearer ${token}`, [LOCATION_HEADER]: '' },
  });
}

t.test(`a client that does not read stops the backend (${SIZE / MiB} MiB download, bound ${BOUND / MiB} MiB)`, async (t: Test) => {
  const lead = new Lead();
  const hash = createHash('sha256');
  let res: http.IncomingMessage | undefined;
  let released = false;
  download = { lead, release: () => { released = true; res?.resume(); } };
  const req = viaProxy('GET', '/download');
  req.end();
  [res] = await once(req, 'response') as [http.IncomingMessage];
  t.equal(res.statusCode, 200);
  res.on('data', (chunk: Buffer) => { lead.read += chunk.length; hash.update(chunk); });
  if (!released) res.pause();
  await once(res, 'end');
  t.equal(lead.read, SIZE, 'every byte arrived');
  t.equal(hash.digest('hex'), patternSha256(SIZE), 'byte-exact');
  t.ok(lead.stuck, 'the backend got stuck while the client did not read');
  t.ok(lead.max <= BOUND, `the backend led the client by at most ${(lead.max / MiB).toFixed(1)} MiB (bound ${BOUND / MiB} MiB)`);
});

t.test(`a backend that does not read stops the client (${SIZE / MiB} MiB upload, bound ${BOUND / MiB} MiB)`, async (t: Test) => {
  const lead = new Lead();
  let body: http.IncomingMessage | undefined;
  let released = false;
  const started = new Promise<void>((resolve) => {
    upload = { lead, hash: createHash('sha256'), started: (req) => { body = req; if (released) req.resume(); resolve(); } };
  });
  const req = viaProxy('POST', '/upload');
  req.setHeader('content-type', 'application/octet-stream');
  const answered = once(req, 'response') as Promise<[http.IncomingMessage]>;
  req.flushHeaders();
  // The backend sees the request with its first body bytes (the connector sends a streamed body's head with them).
  await writeAll(lead, (c) => req.write(c), () => once(req, 'drain'), () => { released = true; void started.then(() => body!.resume()); });
  req.end();
  const [res] = await answered;
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  t.equal(res.statusCode, 200);
  t.same(JSON.parse(Buffer.concat(chunks).toString()), { bytes: SIZE, sha256: patternSha256(SIZE) }, 'every byte arrived, byte-exact');
  t.ok(lead.stuck, 'the client got stuck while the backend did not read');
  t.ok(lead.max <= BOUND, `the client led the backend by at most ${(lead.max / MiB).toFixed(1)} MiB (bound ${BOUND / MiB} MiB)`);
});
