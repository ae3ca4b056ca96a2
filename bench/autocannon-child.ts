// Runs autocannon in its own process (argv[2] = a LoadSpec as JSON) and prints the result as
// the `BENCH_JSON {...}` line load.ts reads, latencies converted from ms to µs.
import type { LoadSpec } from './load.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const moduleName = 'autocannon';
let autocannon: (opts: object) => Promise<any>;
try {
  autocannon = (await import(moduleName)).default;
} catch {
  console.error('autocannon is not installed (npm install -D autocannon), and wrk is not on PATH (apt-get install -y wrk)');
  process.exit(2);
}
const lowerHeaders = Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k.toLowerCase(), v]));
const r = await autocannon({
  url: `http://127.0.0.1:${spec.port}`,
  connections: spec.connections,
  workers: spec.threads > 1 ? spec.threads : undefined,
  duration: spec.seconds,
  timeout: 10,
  requests: [{ method: 'GET', path: spec.path, headers: lowerHeaders }],
});
const us = (ms: number) => Math.round(ms * 1000);
const out = {
  requests: r.requests.total,
  duration_us: Math.round(r.duration * 1e6),
  connect: 0,
  read: r.errors - r.timeouts,
  write: 0,
  status: r.non2xx,
  timeout: r.timeouts,
  p50: us(r.latency.p50), p90: us(r.latency.p90), p99: us(r.latency.p99), max: us(r.latency.max), mean: us(r.latency.mean),
};
console.log(`BENCH_JSON ${JSON.stringify(out)}`);
