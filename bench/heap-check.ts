// Leak check for the request path, in one process: `node --expose-gc dist/bench/heap-check.js
// [rounds=7] [requests per round=10000]` starts the simulator (ephemeral ports, the bench's world),
// sends small GETs through proxy → tunnel → connector → backend on 32 keep-alive connections, and
// after each round forces GC and prints heapUsed, external and RSS. A leak shows as heapUsed
// growing round after round; RSS alone also grows with allocator fragmentation (npm run bench
// reports RSS across processes, this tells the two apart).
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchConfig, VIRTUAL_HOST, VIRTUAL_PORT } from './config.js';
import { startSimulator } from '../src/simulator.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) { console.error('run with node --expose-gc'); process.exit(2); }
const rounds = Number(process.argv[2] ?? 7);
const perRound = Number(process.argv[3] ?? 10_000);

const { file } = await writeBenchConfig(mkdtempSync(join(tmpdir(), 'scc-sim-heap-')), 'warn');
const sim = await startSimulator(file);
const token = await sim.token();
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const authority = `${VIRTUAL_HOST}:${VIRTUAL_PORT}`;
const one = () => new Promise<void>((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: sim.ports.httpPort, path: `http://${authority}/`, agent,
    headers: { host: authority, 'proxy-authorization': `Bearer ${token}` } }, (res) => {
    if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
    res.resume();
    res.on('end', resolve);
  });
  req.on('error', reject);
  req.end();
});
console.log(`node ${process.version}: ${rounds} rounds of ${perRound} small GETs through the simulator`);
for (let r = 1; r <= rounds; r++) {
  let sent = 0;
  await Promise.all(Array.from({ length: 32 }, async () => { while (sent++ < perRound) await one(); }));
  for (let k = 0; k < 3; k++) { gc(); await new Promise((res) => setImmediate(res)); }
  const m = process.memoryUsage();
  console.log(`  after ${r * perRound} requests: heapUsed ${(m.heapUsed / 1e6).toFixed(2)} MB, external ${(m.external / 1e6).toFixed(2)} MB, rss ${(m.rss / 1e6).toFixed(1)} MB`);
}
agent.destroy();
await sim.close();
