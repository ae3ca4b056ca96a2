// Summarises a V8 .cpuprofile (from node --cpu-prof): busy time, self time by module, and the
// top functions by self and by inclusive time. `node dist/bench/profile-summary.js FILE [TOP]`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const META = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

export function moduleOf(f: CallFrame): string {
  if (!f.url) return META.has(f.functionName) ? f.functionName : '(native/V8)';
  const nm = f.url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = f.url.slice(nm + 14).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (f.url.startsWith('node:')) return f.url.split('/').slice(0, 3).join('/');
  const dist = f.url.indexOf('/dist/');
  if (dist >= 0) return `scc-sim:${f.url.slice(dist + 6)}`;
  return f.url;
}

function keyOf(f: CallFrame): string {
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

export interface Summary { file: string; wallMs: number; busyMs: number; text: string }

export interface SummaryOptions {
  top?: number;
  /** Only samples within [from, to] (µs of CLOCK_MONOTONIC, as process.hrtime and V8's profile timestamps). */
  window?: { from: number; to: number; label: string };
  /** Requests completed in the window: adds µs per request to each row. */
  requests?: number;
}

export function summarise(file: string, { top = 20, window, requests }: SummaryOptions = {}): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>(); // node id → µs
  let ts = p.startTime;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < p.samples.length; i += 1) {
    ts += p.timeDeltas[i];
    if (window && (ts < window.from || ts > window.to)) continue;
    first = Math.min(first, ts);
    last = Math.max(last, ts);
    const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + Math.max(0, dt));
  }
  const wall = window ? Math.max(0, last - first) : p.endTime - p.startTime;
  if (window && self.size === 0) {
    return { file, wallMs: 0, busyMs: 0, text: `${basename(file)}: no samples within ${window.label} (profile ${p.startTime}..${p.endTime} µs, window ${window.from}..${window.to} µs)` };
  }
  let idle = 0;
  const selfByFn = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') { idle += us; continue; }
    const k = keyOf(n.callFrame);
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + us);
    const m = moduleOf(n.callFrame);
    selfByModule.set(m, (selfByModule.get(m) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.functionName === '(root)') break;
      const ck = keyOf(f);
      if (seen.has(ck)) continue;
      seen.add(ck);
      inclusive.set(ck, (inclusive.get(ck) ?? 0) + us);
    }
  }
  const busy = [...selfByFn.values()].reduce((a, b) => a + b, 0);
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const perReq = (us: number) => (requests ? ` ${(us / requests).toFixed(1).padStart(7)} µs/req` : '');
  const rows = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, us]) => `  ${ms(us)} ${pct(us)}${perReq(us)}  ${k}`);
  const text = [
    `${basename(file)}${window ? ` (${window.label} only)` : ''}: wall ${(wall / 1e6).toFixed(1)} s, busy (non-idle) ${(busy / 1e6).toFixed(2)} s`
      + `${requests ? ` for ${requests} requests = ${(busy / requests).toFixed(1)} µs/request (sampled, profiler overhead included)` : ''}`,
    ' self time by module (% of busy):', ...rows(selfByModule, 15),
    ` top ${top} functions by self time:`, ...rows(selfByFn, top),
    ` top ${top} functions by inclusive time:`, ...rows(inclusive, top),
  ].join('\n');
  return { file, wallMs: wall / 1000, busyMs: busy / 1000, text };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) { console.error('usage: node dist/bench/profile-summary.js FILE.cpuprofile [TOP]'); process.exit(2); }
  console.log(summarise(file, { top: top ? Number(top) : 20 }).text);
}
