// The bench's verdict: the numbers of one run, the targets (issue and DESIGN.md "Performance
// targets") with PASS/MISS, the summary table, and the JSON file of it all.
import { writeFileSync } from 'node:fs';
import type { LoadResult } from './load.js';
import type { Role } from './services.js';

export type VariantName = 'direct' | 'undici' | 'http-proxy' | 'scc-sim';
export const PEERS: VariantName[] = ['undici', 'http-proxy'];

export interface Window {
  load: LoadResult;
  /** CPU µs per completed request, per process (backend, and the variant's proxy and connector hops). */
  cpuPerRequest: Partial<Record<Role, number>>;
  /** Fraction of all machine CPU busy during the window (all processes). */
  machineBusy: number;
  /** Cores used on average during the window by the load generator. */
  loadgenCores: number;
  /** Cores spent in irq/softirq during the window (mostly loopback TCP of the run itself; charged to no process). */
  irqCores: number;
  /** Cores used on average during the window by processes that are neither the measured ones nor the load generator. */
  foreignCores: number;
  /** Cores the hypervisor gave to someone else while this machine wanted them (/proc/stat steal): invisible as processes, it slows everything. */
  stealCores: number;
  /** 1-minute load average when the window started. */
  loadAverage: number;
}
export interface TransferPair { direct: { mbps: number; seconds: number }; path: { mbps: number; seconds: number }; ratio: number }
type Hops = { proxy: number; connector: number };

export interface Results {
  startedAt: string;
  setup: { cpus: number; loadAverage: number[]; node: string; loadgen: string; connections: number; threads: number; seconds: number; warmupSeconds: number;
    rounds: number; logLevel: string; transferBytes: number; profiled: string[]; nodeArgs: string[]; serviceNodeArgs: readonly string[] };
  /** Small GET at `connections`: one record per round (variant → window), scc-sim's RSS after each round, its peak after the phase. */
  rps?: { rounds: Array<Record<string, Window>>; rssAfterRoundMB: Hops[]; peakRssMB: Hops };
  /** Small GET at one connection, per variant: its median round (by p50), and every round. */
  latency1?: Record<string, Window>;
  latency1Rounds?: Array<Record<string, Window>>;
  many?: { connections: number; window: Window; rssAfterMB: Hops };
  transfer?: { download: TransferPair; upload: TransferPair; peakRssMB: Record<Role, number>; peakRssSource: string;
    rssBeforeMB: Record<Role, number>; peakRssBeforeMB: Record<Role, number>; peakRssByTransferMB: Record<string, Record<Role, number>> };
  targets: Target[];
  files: Record<string, string>;
}

export interface Target { name: string; value: number; unit: string; cmp: '>=' | '<='; limit: number; ok: boolean; stretch?: number; stretchOk?: boolean }

function target(name: string, value: number, unit: string, cmp: '>=' | '<=', limit: number, stretch?: number): Target {
  const ok = (l: number) => (cmp === '>=' ? value >= l : value <= l);
  return { name, value, unit, cmp, limit, ok: ok(limit), stretch, stretchOk: stretch === undefined ? undefined : ok(stretch) };
}

const size = (bytes: number) => (bytes === 1024 ** 3 ? '1 GiB' : bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MiB` : `${bytes} B`);
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const hopsCpu = (w: Window) => (w.cpuPerRequest.proxy ?? 0) + (w.cpuPerRequest.connector ?? 0);

/** Per variant, over the rounds: mean req/s, ratio to the same round's direct, p50/p99, CPU of the hops. */
export interface Summary { rps: number; ratio: number; p50: number; p99: number; hopsCpu: number; proxyCpu: number; connectorCpu: number; backendCpu: number; errors: number }
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The item whose key is the median (the lower middle one of an even count): a real window, not an average of two. */
export function medianBy<T>(items: T[], key: (x: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[(items.length - 1) >> 1];
}

export function summariseRps(rounds: Array<Record<string, Window>>): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const name of Object.keys(rounds[0] ?? {})) {
    const ws = rounds.map((r) => r[name]);
    out[name] = {
      rps: avg(ws.map((w) => w.load.rps)),
      ratio: avg(rounds.map((r) => r[name].load.rps / r.direct.load.rps)),
      p50: avg(ws.map((w) => w.load.p50)), p99: avg(ws.map((w) => w.load.p99)),
      hopsCpu: avg(ws.map(hopsCpu)), proxyCpu: avg(ws.map((w) => w.cpuPerRequest.proxy ?? 0)), connectorCpu: avg(ws.map((w) => w.cpuPerRequest.connector ?? 0)),
      backendCpu: avg(ws.map((w) => w.cpuPerRequest.backend ?? 0)),
      errors: ws.reduce((a, w) => a + Object.values(w.load.errors).reduce((x, y) => x + y, 0), 0),
    };
  }
  return out;
}

/** The best peer's value of a metric (each metric its own best peer: the strictest comparison). */
function bestPeer(s: Record<string, Summary>, pick: (x: Summary) => number, higherIsBetter: boolean): { name: string; value: number } {
  const peers = PEERS.filter((p) => s[p] !== undefined).map((p) => ({ name: p, value: pick(s[p]) }));
  return peers.reduce((a, b) => ((higherIsBetter ? b.value > a.value : b.value < a.value) ? b : a));
}

/** An RSS growth between the first and the last small-GET round above this is called a leak. */
export const RSS_GROWTH_LIMIT_MB = 10;

export function evaluate(r: Results): Target[] {
  const t: Target[] = [];
  const gib = size(r.setup.transferBytes);
  if (r.rps) {
    const s = summariseRps(r.rps.rounds);
    if (s['scc-sim'] && s.direct) {
      const me = s['scc-sim'];
      const bestRps = bestPeer(s, (x) => x.rps, true);
      t.push(target(`small GET req/s ÷ best peer (${bestRps.name})`, me.rps / bestRps.value, '×', '>=', 1.1, 1.25));
      t.push(target('small GET req/s ÷ direct', me.ratio, '×', '>=', 0.35));
      const bestCpu = bestPeer(s, (x) => x.hopsCpu, false);
      t.push(target(`CPU µs/request of both hops ÷ best peer (${bestCpu.name})`, me.hopsCpu / bestCpu.value, '×', '<=', 0.9));
      t.push(target('CPU µs/request of both hops', me.hopsCpu, 'µs', '<=', 100));
      const bestP99 = bestPeer(s, (x) => x.p99, false);
      t.push(target(`p99 at ${r.setup.connections} connections ÷ best peer (${bestP99.name})`, me.p99 / bestP99.value, '×', '<=', 1));
    }
    t.push(target('proxy peak RSS after the small-GET rounds', r.rps.peakRssMB.proxy, 'MB', '<=', 150));
    t.push(target('connector peak RSS after the small-GET rounds', r.rps.peakRssMB.connector, 'MB', '<=', 150));
    if (r.rps.rssAfterRoundMB.length > 1) {
      const first = r.rps.rssAfterRoundMB[0];
      const last = r.rps.rssAfterRoundMB[r.rps.rssAfterRoundMB.length - 1];
      t.push(target('proxy RSS growth, first → last small-GET round', last.proxy - first.proxy, 'MB', '<=', RSS_GROWTH_LIMIT_MB));
      t.push(target('connector RSS growth, first → last small-GET round', last.connector - first.connector, 'MB', '<=', RSS_GROWTH_LIMIT_MB));
    }
  }
  if (r.latency1?.['scc-sim']) {
    const peers = PEERS.filter((p) => r.latency1![p]).map((p) => ({ name: p, value: r.latency1![p].load.p50 }));
    const best = peers.reduce((a, b) => (b.value < a.value ? b : a));
    t.push(target(`p50 at 1 connection ÷ best peer (${best.name})`, r.latency1['scc-sim'].load.p50 / best.value, '×', '<=', 1));
  }
  if (r.many) {
    const errors = Object.values(r.many.window.load.errors).reduce((a, b) => a + b, 0);
    t.push(target(`errors at ${r.many.connections} concurrent connections (${r.many.window.load.requests} requests)`, r.many.window.load.requests > 0 ? errors : Infinity, '', '<=', 0));
  }
  if (r.transfer) {
    t.push(target(`${gib} download, scc-sim ÷ direct`, r.transfer.download.ratio, '×', '>=', 0.35));
    t.push(target(`${gib} upload, scc-sim ÷ direct`, r.transfer.upload.ratio, '×', '>=', 0.35));
    t.push(target(`proxy peak RSS during ${gib} transfers`, r.transfer.peakRssMB.proxy, 'MB', '<=', 150));
    t.push(target(`connector peak RSS during ${gib} transfers`, r.transfer.peakRssMB.connector, 'MB', '<=', 150));
  }
  return t;
}

const n = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const ms = (us: number) => n(us / 1000, 2);
const pad = (s: string, w: number) => s.padEnd(w);
const lpad = (s: string, w: number) => s.padStart(w);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join('  ')}`;
  return [line(header), `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`, ...rows.map(line)].join('\n');
}

const LABELS: Record<string, string> = {
  direct: 'direct → backend', undici: 'undici chain (proxy → connector → backend)', 'http-proxy': 'http-proxy chain (proxy → connector → backend)',
  'scc-sim': 'scc-sim (proxy → tunnel → connector → backend)',
};

export function render(r: Results): string {
  const out: string[] = ['', '==================== scc-sim bench summary ===================='];
  const s = r.setup;
  out.push(`  node ${s.node}, ${s.cpus} CPU(s), load average at start ${s.loadAverage.map((l) => l.toFixed(2)).join(' ')}, load generator ${s.loadgen}, `
    + `${s.rounds} round(s) of ${s.seconds} s after ${s.warmupSeconds} s warm-up per variant, logLevel ${s.logLevel}`
    + `${s.nodeArgs.length ? `, node flags ${s.nodeArgs.join(' ')}` : ''}`
    + `, scc-sim's services run with ${s.serviceNodeArgs.length ? s.serviceNodeArgs.join(' ') : 'no node flags'}${s.profiled.length ? `, PROFILING ${s.profiled.join('+')} (numbers inflated)` : ''}`);
  if (r.rps) {
    const sum = summariseRps(r.rps.rounds);
    const names = Object.keys(LABELS).filter((k) => sum[k]);
    const lat = r.latency1;
    out.push('', `Small GET (Hello World!), ${s.connections} connections, means over the rounds (ratio: to the same round's direct)`, table(
      ['variant', 'req/s', '× direct', 'p50 ms', 'p99 ms', 'p50 ms @1 conn', 'proxy µs/req', 'connector µs/req', 'both hops µs/req', 'backend µs/req', 'errors'],
      names.map((k) => {
        const x = sum[k];
        return [LABELS[k], n(x.rps, 0), `${n(x.ratio, 3)}×`, ms(x.p50), ms(x.p99), lat?.[k] ? ms(lat[k].load.p50) : '-',
          k === 'direct' ? '-' : n(x.proxyCpu, 1), k === 'direct' ? '-' : n(x.connectorCpu, 1), k === 'direct' ? '-' : n(x.hopsCpu, 1), n(x.backendCpu, 1), String(x.errors)];
      }),
    ));
    const me = sum['scc-sim'];
    if (me) {
      out.push(`  scc-sim ÷ each peer: ${PEERS.filter((p) => sum[p]).map((p) => `${p}: req/s ${n(me.rps / sum[p].rps, 2)}×, CPU ${n(me.hopsCpu / sum[p].hopsCpu, 2)}×, `
        + `p99 ${n(me.p99 / sum[p].p99, 2)}×${lat?.[p] && lat['scc-sim'] ? `, p50@1 ${n(lat['scc-sim'].load.p50 / lat[p].load.p50, 2)}×` : ''}`).join('; ')}`);
    }
    if (me && r.rps.rounds.length > 1) {
      // The spread within this run: each round's ratio (adjacent windows), and their median.
      out.push(`  per round, scc-sim ÷ each peer: ${PEERS.filter((p) => sum[p]).map((p) => {
        const rps = r.rps!.rounds.map((rd) => rd['scc-sim'].load.rps / rd[p].load.rps);
        const cpu = r.rps!.rounds.map((rd) => hopsCpu(rd['scc-sim']) / hopsCpu(rd[p]));
        return `${p}: req/s ${rps.map((x) => n(x, 2)).join(' ')} (median ${n(median(rps), 2)}), CPU ${cpu.map((x) => n(x, 2)).join(' ')} (median ${n(median(cpu), 2)})`;
      }).join('; ')}`);
    }
    const loads = r.rps.rounds.flatMap((rd) => Object.values(rd).map((w) => w.loadAverage));
    const foreign = Math.max(...r.rps.rounds.flatMap((rd) => Object.values(rd).map((w) => w.foreignCores)));
    const windows = [...r.rps.rounds, ...(r.latency1Rounds ?? [])].flatMap((rd) => Object.values(rd));
    const steal = Math.max(...windows.map((w) => w.stealCores ?? 0));
    out.push(`  load average during the rounds ${n(Math.min(...loads))}-${n(Math.max(...loads))}; other processes used up to ${n(foreign)} of ${s.cpus} cores; `
      + `the hypervisor took (steal) up to ${n(steal)} cores in one window of the 64- and 1-connection rounds`
      + `${foreign > 0.2 || steal > 0.1 ? ' — WARNING: the numbers are disturbed; compare ratios within this run only' : ''}`);
    out.push(`  scc-sim RSS after each round (MB): ${r.rps.rssAfterRoundMB.map((x) => `proxy ${n(x.proxy, 1)} / connector ${n(x.connector, 1)}`).join(', ')}; `
      + `peak proxy ${n(r.rps.peakRssMB.proxy, 1)}, connector ${n(r.rps.peakRssMB.connector, 1)}`);
  }
  if (r.many) {
    const l = r.many.window.load;
    out.push('', `${r.many.connections} concurrent connections through scc-sim: ${l.requests} requests, ${n(l.rps, 0)} req/s, p99 ${ms(l.p99)} ms, `
      + `errors ${JSON.stringify(l.errors)}; RSS after: proxy ${n(r.many.rssAfterMB.proxy, 1)} MB, connector ${n(r.many.rssAfterMB.connector, 1)} MB`);
  }
  if (r.transfer) {
    const t = r.transfer;
    out.push('', `Streamed transfers through scc-sim (${s.transferBytes} bytes each)`, table(
      ['transfer', 'direct MB/s', 'scc-sim MB/s', 'ratio', 'direct s', 'scc-sim s'],
      [['download GET /bytes/n', n(t.download.direct.mbps, 0), n(t.download.path.mbps, 0), `${n(t.download.ratio, 3)}×`, n(t.download.direct.seconds), n(t.download.path.seconds)],
        ['upload POST /upload', n(t.upload.direct.mbps, 0), n(t.upload.path.mbps, 0), `${n(t.upload.ratio, 3)}×`, n(t.upload.direct.seconds), n(t.upload.path.seconds)]],
    ));
    out.push(`  peak RSS (MB) per transfer — ${t.peakRssSource}:`, table(
      ['transfer', 'backend', 'proxy', 'connector'],
      [['(peak before the transfers: start-up + small GETs)', n(t.peakRssBeforeMB.backend, 1), n(t.peakRssBeforeMB.proxy, 1), n(t.peakRssBeforeMB.connector, 1)],
        ['(current when the transfers start)', n(t.rssBeforeMB.backend, 1), n(t.rssBeforeMB.proxy, 1), n(t.rssBeforeMB.connector, 1)],
        ...Object.entries(t.peakRssByTransferMB).map(([k, v]) => [k, n(v.backend, 1), n(v.proxy, 1), n(v.connector, 1)])],
    ));
  }
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '-' : ok ? 'PASS' : 'MISS');
  out.push('', 'Targets (issue 10)', table(
    ['target', 'measured', 'target', 'verdict', 'stretch', 'verdict'],
    r.targets.map((t) => [t.name, `${n(t.value, t.unit === '×' ? 3 : 1)} ${t.unit}`.trim(), `${t.cmp} ${t.limit}`, verdict(t.ok),
      t.stretch === undefined ? '-' : `${t.cmp} ${t.stretch}`, verdict(t.stretchOk)]),
  ));
  return out.join('\n');
}

export function writeJson(file: string, r: Results): void {
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
}
