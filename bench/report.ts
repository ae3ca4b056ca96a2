// The bench's verdict: the numbers of one run, the targets (issue and DESIGN.md "Performance
// targets") with PASS/MISS, the summary table, and the JSON file of it all.
import { writeFileSync } from 'node:fs';
import type { LoadResult } from './load.js';
import type { Role } from './services.js';

export interface Window {
  load: LoadResult;
  /** CPU µs per completed request, per service process. */
  cpuPerRequest: Partial<Record<Role, number>>;
  /** Fraction of all machine CPU busy during the window (all processes). */
  machineBusy: number;
  /** Cores used on average during the window by the load generator. */
  loadgenCores: number;
  /** Cores spent in irq/softirq during the window (mostly loopback TCP of the run itself; charged to no process). */
  irqCores: number;
  /** Cores used on average during the window by processes that are neither the services nor the load generator. */
  foreignCores: number;
}
export interface TransferPair { direct: { mbps: number; seconds: number }; path: { mbps: number; seconds: number }; ratio: number }

export interface Results {
  startedAt: string;
  setup: { cpus: number; loadAverage: number[]; node: string; loadgen: string; connections: number; threads: number; seconds: number; warmupSeconds: number;
    logLevel: string; transferBytes: number; profiled: string[] };
  rps?: { direct: Window; path: Window; ratio: number; addedP99Ms: number; proxyPlusConnectorCpuUs: number };
  transfer?: { download: TransferPair; upload: TransferPair; peakRssMB: Record<Role, number>; peakRssSource: string;
    rssBeforeMB: Record<Role, number>; peakRssBeforeMB: Record<Role, number>; peakRssByTransferMB: Record<string, Record<Role, number>> };
  targets: Target[];
  files: Record<string, string>;
}

export interface Target { name: string; value: number; unit: string; cmp: '>=' | '<='; issue?: number; design?: number;
  issueOk?: boolean; designOk?: boolean }

function target(name: string, value: number, unit: string, cmp: '>=' | '<=', issue: number | undefined, design: number | undefined): Target {
  const ok = (limit: number | undefined) => (limit === undefined ? undefined : cmp === '>=' ? value >= limit : value <= limit);
  return { name, value, unit, cmp, issue, design, issueOk: ok(issue), designOk: ok(design) };
}

const size = (bytes: number) => (bytes === 1024 ** 3 ? '1 GiB' : bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MiB` : `${bytes} B`);

export function evaluate(r: Results): Target[] {
  const t: Target[] = [];
  const gib = size(r.setup.transferBytes);
  if (r.rps) {
    t.push(target('small GET req/s, path ÷ direct', r.rps.ratio, '×', '>=', 0.25, 0.35));
    t.push(target('CPU per request, proxy + connector', r.rps.proxyPlusConnectorCpuUs, 'µs', '<=', 150, 100));
    t.push(target('added p99 latency at 64 connections', r.rps.addedP99Ms, 'ms', '<=', undefined, 2));
  }
  if (r.transfer) {
    t.push(target(`${gib} download, path ÷ direct`, r.transfer.download.ratio, '×', '>=', 0.3, 0.35));
    t.push(target(`${gib} upload, path ÷ direct`, r.transfer.upload.ratio, '×', '>=', 0.3, 0.35));
    t.push(target(`proxy peak RSS during ${gib} transfers`, r.transfer.peakRssMB.proxy, 'MB', '<=', 150, 150));
    t.push(target(`connector peak RSS during ${gib} transfers`, r.transfer.peakRssMB.connector, 'MB', '<=', 150, 150));
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

export function render(r: Results): string {
  const out: string[] = ['', '==================== scc-sim bench summary ===================='];
  const s = r.setup;
  out.push(`  ${s.cpus} CPU(s), node ${s.node}, load generator ${s.loadgen} (${s.threads} thread(s), ${s.connections} connections, `
    + `${s.seconds} s measured after ${s.warmupSeconds} s warm-up), logLevel ${s.logLevel}${s.profiled.length ? `, PROFILING ${s.profiled.join('+')} (numbers inflated)` : ''}`);
  if (r.rps) {
    const { direct, path } = r.rps;
    const cpu = (w: Window, role: Role) => (w.cpuPerRequest[role] === undefined ? '-' : n(w.cpuPerRequest[role]!, 1));
    const errs = (l: LoadResult) => String(Object.values(l.errors).reduce((a, b) => a + b, 0));
    out.push('', 'Small GET (Hello World!)', table(
      ['run', 'req/s', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'backend µs/req', 'proxy µs/req', 'connector µs/req', 'machine busy', 'loadgen cores', 'softirq cores', 'foreign cores'],
      [['direct → backend', n(direct.load.rps, 0), String(direct.load.requests), ms(direct.load.p50), ms(direct.load.p90), ms(direct.load.p99), errs(direct.load),
        cpu(direct, 'backend'), '-', '-', `${n(100 * direct.machineBusy, 0)}%`, n(direct.loadgenCores), n(direct.irqCores), n(direct.foreignCores)],
      ['proxy → tunnel → connector → backend', n(path.load.rps, 0), String(path.load.requests), ms(path.load.p50), ms(path.load.p90), ms(path.load.p99), errs(path.load),
        cpu(path, 'backend'), cpu(path, 'proxy'), cpu(path, 'connector'), `${n(100 * path.machineBusy, 0)}%`, n(path.loadgenCores), n(path.irqCores), n(path.foreignCores)]],
    ));
    out.push(`  ratio path/direct ${n(r.rps.ratio, 3)}×   added p99 ${n(r.rps.addedP99Ms, 2)} ms   `
      + `proxy+connector CPU ${n(r.rps.proxyPlusConnectorCpuUs, 1)} µs/request`);
    const foreign = Math.max(direct.foreignCores, path.foreignCores);
    if (foreign > 0.2) {
      out.push(`  WARNING: other processes on this machine used up to ${n(foreign)} of ${s.cpus} cores during the measurement: `
        + 'req/s, latency and (less so) CPU per request are disturbed; rerun on a quiet machine.');
    }
  }
  if (r.transfer) {
    const t = r.transfer;
    out.push('', `Streamed transfers (${s.transferBytes} bytes each)`, table(
      ['transfer', 'direct MB/s', 'path MB/s', 'ratio', 'direct s', 'path s'],
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
  const limit = (t: Target, v: number | undefined) => (v === undefined ? '-' : `${t.cmp} ${v}`);
  out.push('', 'Targets (issue / DESIGN.md)', table(
    ['target', 'measured', 'issue', 'verdict', 'design', 'verdict'],
    r.targets.map((t) => [t.name, `${n(t.value, t.unit === '×' ? 3 : 1)} ${t.unit}`, limit(t, t.issue), verdict(t.issueOk), limit(t, t.design), verdict(t.designOk)]),
  ));
  return out.join('\n');
}

export function writeJson(file: string, r: Results): void {
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
}
