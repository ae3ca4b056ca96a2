// `npm run bench`: starts backend, proxy and connector as separate processes with a temp config,
// and the two naive peer chains (bench/peer-chain.ts: undici and http-proxy, the same token check,
// location header and backend, no tunnel); measures direct, each peer and scc-sim's path (proxy →
// tunnel → connector → backend) side by side in rotated order — req/s, latency, CPU per request of
// both hops — then p50 at one connection, 1,000 concurrent connections, 1 GiB streamed both ways
// with peak RSS, prints the verdict against the targets (issue 10) and writes it all as JSON.
//
// Environment: BENCH_LOG_LEVEL (warn), BENCH_SECONDS (8), BENCH_WARMUP (2), BENCH_ROUNDS (3: each
// variant measured once per round, the order rotated), BENCH_CONNECTIONS (64), BENCH_LAT_SECONDS (4:
// the one-connection phase), BENCH_MANY_CONNECTIONS (1000), BENCH_MANY_SECONDS (4),
// BENCH_THREADS (1), BENCH_TRANSFER_BYTES (1073741824), BENCH_PHASES (rps,latency,transfer,many: in this order),
// BENCH_NODE_ARGS (extra node flags for every measured process, peers included),
// BENCH_SERVICE_NODE_ARGS (the node flags of scc-sim's three services; default: those they ship
// with, src/service-flags.ts; empty: none),
// BENCH_LOADGEN (wrk|autocannon; default wrk if on PATH), BENCH_PROF (e.g. proxy,connector:
// run those with --cpu-prof into BENCH_PROF_DIR, default /tmp/prof, and summarise the profiles).
import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, isStopping, stopAll } from './children.js';
import { patternSha256, patternStream } from '../services/backend/byte-pattern.js';
import { writeBenchConfig } from './config.js';
import { direct, download, getText, requestShape, upload, viaProxy, type Target, type Transfer } from './http-client.js';
import { chooseTool, runLoad, type LoadSpec, type Tool } from './load.js';
import { busyFraction, cpuMicros, currentRss, machineCpu, mainThreadCpuMicros, peakRss, resetPeakRss } from './procfs.js';
import { summarise } from './profile-summary.js';
import { evaluate, medianBy, render, writeJson, type Results, type TransferPair, type VariantName, type Window } from './report.js';
import { SERVICE_NODE_FLAGS } from '../src/service-flags.js';
import { getToken, ROLES, startPeers, startServices, stopPeers, stopServices, type Role, type Services } from './services.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

const env = process.env;
const int = (name: string, dflt: number) => { const v = Number(env[name] ?? dflt); if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`); return v; };
const settings = {
  logLevel: env.BENCH_LOG_LEVEL || 'warn',
  seconds: int('BENCH_SECONDS', 8),
  warmup: int('BENCH_WARMUP', 2),
  rounds: Math.max(1, int('BENCH_ROUNDS', 3)),
  connections: int('BENCH_CONNECTIONS', 64),
  latSeconds: int('BENCH_LAT_SECONDS', 4),
  manyConnections: int('BENCH_MANY_CONNECTIONS', 1000),
  manySeconds: int('BENCH_MANY_SECONDS', 4),
  nodeArgs: (env.BENCH_NODE_ARGS || '').split(' ').filter((s) => s !== ''),
  serviceNodeArgs: env.BENCH_SERVICE_NODE_ARGS === undefined ? [...SERVICE_NODE_FLAGS] : env.BENCH_SERVICE_NODE_ARGS.split(' ').filter((s) => s !== ''),
  threads: int('BENCH_THREADS', 1),
  transferBytes: int('BENCH_TRANSFER_BYTES', 1024 ** 3),
  phases: new Set((env.BENCH_PHASES || 'rps,latency,transfer,many').split(',').map((s) => s.trim())),
  profile: new Set((env.BENCH_PROF || '').split(',').map((s) => s.trim()).filter((s) => s !== '')),
  profDir: env.BENCH_PROF_DIR || '/tmp/prof',
};

const log = (s: string) => console.log(s);

/** The measured windows (µs of CLOCK_MONOTONIC) by label, to cut the CPU profiles to them. */
const windows: Record<string, { from: number; to: number; requests: number }> = {};

/** One way to the backend: direct, a peer chain, or scc-sim's path; the processes of its two hops. */
export interface Variant { name: VariantName; port: number; shape: { path: string; headers: Record<string, string> }; hops: { proxy?: number; connector?: number } }

async function measureLoad(tool: Tool, label: string, v: Variant, backendPid: number, opts: { connections: number; seconds: number; warmup: number; threads: number },
  workDir: string): Promise<Window> {
  const spec = { port: v.port, ...v.shape, connections: opts.connections, threads: opts.threads };
  if (opts.warmup > 0) await runLoad(tool, { ...spec, seconds: opts.warmup }, workDir);
  const pids: Record<string, number> = { backend: backendPid, ...v.hops };
  const roles = Object.keys(pids);
  const before = Object.fromEntries(roles.map((r) => [r, cpuMicros(pids[r])]));
  const mainBefore = Object.fromEntries(roles.map((r) => [r, mainThreadCpuMicros(pids[r])]));
  const machineBefore = machineCpu();
  const [load1] = loadavg();
  const t0 = process.hrtime.bigint();
  const load = await runLoad(tool, { ...spec, seconds: opts.seconds }, workDir);
  const machineAfter = machineCpu();
  const windowUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpuUsed = Object.fromEntries(roles.map((r) => [r, cpuMicros(pids[r]) - before[r]]));
  const mainUsed = Object.fromEntries(roles.map((r) => [r, mainThreadCpuMicros(pids[r]) - mainBefore[r]]));
  const cpuPerRequest = Object.fromEntries(roles.map((r) => [r, cpuUsed[r] / Math.max(1, load.requests)])) as Partial<Record<Role, number>>;
  const servicesUs = roles.reduce((a, r) => a + cpuUsed[r], 0);
  const foreignUs = Math.max(0, machineAfter.processUs - machineBefore.processUs - servicesUs - load.loadgenCpuUs);
  const irqUs = machineAfter.irqUs - machineBefore.irqUs;
  const stealUs = machineAfter.stealUs - machineBefore.stealUs;
  const errors = Object.entries(load.errors).filter(([, x]) => x > 0).map(([k, x]) => `${k} ${x}`).join(', ');
  const hopsUs = (cpuPerRequest.proxy ?? 0) + (cpuPerRequest.connector ?? 0);
  log(`  ${label.padEnd(22)} ${load.rps.toFixed(0).padStart(6)} req/s  p50 ${(load.p50 / 1000).toFixed(2)} ms  p99 ${(load.p99 / 1000).toFixed(2)} ms  `
    + `CPU µs/req ${roles.map((r) => `${r} ${cpuPerRequest[r as Role]!.toFixed(1)} (main ${(mainUsed[r] / Math.max(1, load.requests)).toFixed(1)})`).join(' ')}${v.name === 'direct' ? '' : ` (hops ${hopsUs.toFixed(1)})`}`
    + `  other processes ${(foreignUs / windowUs).toFixed(2)} cores, steal ${(stealUs / windowUs).toFixed(2)} cores, load ${load1.toFixed(2)}${errors ? `, ERRORS: ${errors}` : ''}`);
  windows[label] = { from: Number(t0 / 1000n), to: Number(t0 / 1000n) + windowUs, requests: load.requests };
  return { load, cpuPerRequest, machineBusy: busyFraction(machineBefore, machineAfter), loadgenCores: load.loadgenCpuUs / windowUs, irqCores: irqUs / windowUs,
    foreignCores: foreignUs / windowUs, stealCores: stealUs / windowUs, loadAverage: load1 };
}

async function smoke(label: string, t: Target): Promise<void> {
  const { status, body } = await getText(t, '/');
  if (status !== 200 || body !== 'Hello World!') throw new Error(`smoke check ${label}: expected 200 "Hello World!", got ${status} ${JSON.stringify(body.slice(0, 200))}`);
}

/** Peak RSS (bytes) of each service while `work` runs: VmHWM reset before (if allowed), max with 50 ms VmRSS samples. */
async function withPeakRss<T>(services: Services, work: () => Promise<T>): Promise<{ value: T; peak: Record<Role, number>; reset: boolean }> {
  const reset = ROLES.map((r) => resetPeakRss(services[r].pid)).every(Boolean);
  const max = { backend: 0, proxy: 0, connector: 0 } as Record<Role, number>;
  const sample = () => { for (const r of ROLES) { try { max[r] = Math.max(max[r], currentRss(services[r].pid)); } catch { /* exited */ } } };
  const timer = setInterval(sample, 50);
  try {
    const value = await work();
    sample();
    for (const r of ROLES) max[r] = Math.max(max[r], peakRss(services[r].pid));
    return { value, peak: max, reset };
  } finally {
    clearInterval(timer);
  }
}

const mbps = (t: Transfer) => t.bytes / 1e6 / t.seconds;

async function transfers(services: Services, token: string, http: number, backendPort: number): Promise<NonNullable<Results['transfer']>> {
  const n = settings.transferBytes;
  const d = direct(backendPort);
  const p = viaProxy(http, token);
  const mb = (rec: Record<Role, number>) => Object.fromEntries(ROLES.map((r) => [r, rec[r] / 1e6])) as Record<Role, number>;
  const baseline = mb(Object.fromEntries(ROLES.map((r) => [r, currentRss(services[r].pid)])) as Record<Role, number>);
  const lifetimePeak = mb(Object.fromEntries(ROLES.map((r) => [r, peakRss(services[r].pid)])) as Record<Role, number>);
  log(`  RSS before the transfers: ${ROLES.map((r) => `${r} ${baseline[r].toFixed(1)} MB`).join(', ')} (peak so far: ${ROLES.map((r) => `${r} ${lifetimePeak[r].toFixed(1)} MB`).join(', ')})`);
  const perTransfer: Record<string, Record<Role, number>> = {};
  let allReset = true;
  const measured = async (label: string, work: () => Promise<Transfer>): Promise<Transfer> => {
    log(`  ${label} …`);
    const { value, peak, reset } = await withPeakRss(services, work);
    allReset &&= reset;
    perTransfer[label] = mb(peak);
    return value;
  };
  const rssNote = (label: string) => `; peak RSS ${ROLES.map((r) => `${r} ${perTransfer[label][r].toFixed(1)}`).join(', ')} MB`;

  const checkDownload = (label: string, t: Transfer) => {
    if (t.status !== 200 || t.bytes !== n || t.contentLength !== n) {
      throw new Error(`${label}: expected 200 with ${n} bytes, got ${t.status}, ${t.bytes} bytes (content-length ${t.contentLength})`);
    }
    log(`  ${label}: ${t.bytes} bytes in ${t.seconds.toFixed(2)} s = ${mbps(t).toFixed(0)} MB/s (length verified)${rssNote(label)}`);
  };
  const dd = await measured('download direct', () => download(d, n)); checkDownload('download direct', dd);
  const dp = await measured('download path', () => download(p, n)); checkDownload('download path', dp);

  const sha = patternSha256(n);
  const checkUpload = (label: string, t: Transfer) => {
    let answer: { bytes?: number; sha256?: string } = {};
    try { answer = JSON.parse(t.answer ?? ''); } catch { /* reported below */ }
    if (t.status !== 200 || answer.bytes !== n || answer.sha256 !== sha) {
      throw new Error(`${label}: expected 200 {bytes: ${n}, sha256: ${sha}}, got ${t.status} ${t.answer?.slice(0, 300)}`);
    }
    log(`  ${label}: ${n} bytes in ${t.seconds.toFixed(2)} s = ${mbps(t).toFixed(0)} MB/s (bytes and sha256 verified)${rssNote(label)}`);
  };
  const ud = await measured('upload direct', () => upload(d, n, patternStream(n))); checkUpload('upload direct', ud);
  const up = await measured('upload path', () => upload(p, n, patternStream(n))); checkUpload('upload path', up);

  const peak = Object.fromEntries(ROLES.map((r) => [r, Math.max(...Object.values(perTransfer).map((x) => x[r]))])) as Record<Role, number>;
  const pair = (a: Transfer, b: Transfer): TransferPair => ({
    direct: { mbps: mbps(a), seconds: a.seconds }, path: { mbps: mbps(b), seconds: b.seconds }, ratio: mbps(b) / mbps(a),
  });
  return {
    download: pair(dd, dp), upload: pair(ud, up), peakRssMB: peak, rssBeforeMB: baseline, peakRssBeforeMB: lifetimePeak, peakRssByTransferMB: perTransfer,
    peakRssSource: allReset ? 'VmHWM reset before each transfer, max with 50 ms VmRSS samples' : 'VmHWM over the process lifetime (reset refused), max with VmRSS samples',
  };
}

function profilesSince(since: number): string[] {
  try {
    return readdirSync(settings.profDir).filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(settings.profDir, f)).filter((f) => statSync(f).mtimeMs >= since).sort();
  } catch { return []; }
}

const rotate = <T>(xs: T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rssOf = (pid: number) => currentRss(pid) / 1e6;

async function main(): Promise<void> {
  installCleanup();
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-bench-'));
  const tool = chooseTool();
  log(`scc-sim bench — node ${process.version} — run folder ${dir}`);
  log(`  scc-sim's services run with ${settings.serviceNodeArgs.length ? settings.serviceNodeArgs.join(' ') : 'no node flags'}`
    + `${settings.serviceNodeArgs.join(' ') === SERVICE_NODE_FLAGS.join(' ') ? ' (as they ship: src/service-flags.ts)' : ' (BENCH_SERVICE_NODE_ARGS)'}; the peers with ${settings.nodeArgs.length ? 'BENCH_NODE_ARGS only' : 'none'}`);
  const [load1] = loadavg();
  log(`  ${availableParallelism()} CPU(s), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}${load1 > 0.5 ? ' — the machine is not idle: expect noisy numbers' : ''}`);
  if (tool === 'autocannon') {
    log(`  NOTE: ${env.BENCH_LOADGEN === 'autocannon' ? 'BENCH_LOADGEN=autocannon' : 'wrk is not on PATH (Debian: apt-get install -y wrk)'}: `
      + 'using autocannon, a slower load generator that shares the CPUs more: numbers are not comparable with DESIGN.md');
  }
  log(settings.logLevel === 'info' || settings.logLevel === 'debug' || settings.logLevel === 'trace'
    ? `  logLevel ${settings.logLevel}: per-request info log lines are ON (written to the run folder)`
    : `  logLevel ${settings.logLevel}: per-request info log lines are OFF (BENCH_LOG_LEVEL=info measures with them)`);
  if (settings.profile.size > 0) { mkdirSync(settings.profDir, { recursive: true }); log(`  profiling ${[...settings.profile].join(', ')} with --cpu-prof into ${settings.profDir}`); }

  const config = await writeBenchConfig(dir, settings.logLevel);
  log(`  config ${config.file}: ports ${JSON.stringify(config.ports)}, peers ${JSON.stringify(config.peerPorts)}`);
  const startOpts = { cli: CLI, config, dir, profile: settings.profile, profDir: settings.profDir, nodeArgs: settings.nodeArgs, serviceNodeArgs: settings.serviceNodeArgs };
  const services = await startServices(startOpts);
  const peers = await startPeers(startOpts);
  log(`  started: ${ROLES.map((r) => `${r} pid ${services[r].pid}`).join(', ')}, ${peers.map((c) => `${c.name} chain pids ${c.proxy.pid}+${c.connector.pid}`).join(', ')}; `
    + `ready after ${Date.now() - started} ms`);
  const token = await getToken(CLI, config.file);
  const d = direct(config.ports.backend);
  const p = viaProxy(config.ports.http, token);
  const variants: Variant[] = [
    { name: 'direct', port: config.ports.backend, shape: requestShape(d, '/'), hops: {} },
    ...peers.map((c): Variant => ({ name: c.name, port: c.port, shape: requestShape(viaProxy(c.port, token), '/'), hops: { proxy: c.proxy.pid, connector: c.connector.pid } })),
    { name: 'scc-sim', port: config.ports.http, shape: requestShape(p, '/'), hops: { proxy: services.proxy.pid, connector: services.connector.pid } },
  ];
  for (const v of variants) await smoke(v.name, v.name === 'direct' ? d : viaProxy(v.port, token));
  log('  smoke check: GET / answers 200 "Hello World!" direct, through each peer chain and through scc-sim');

  const results: Results = {
    startedAt: new Date(started).toISOString(),
    setup: { cpus: availableParallelism(), loadAverage: loadavg(), node: process.version, loadgen: tool, connections: settings.connections, threads: settings.threads,
      seconds: settings.seconds, warmupSeconds: settings.warmup, rounds: settings.rounds, logLevel: settings.logLevel, transferBytes: settings.transferBytes,
      profiled: [...settings.profile], nodeArgs: settings.nodeArgs, serviceNodeArgs: settings.serviceNodeArgs },
    targets: [],
    files: { runFolder: dir, config: config.file, ...Object.fromEntries(ROLES.map((r) => [`${r}Log`, services[r].logFile])) },
  };
  const sccRss = () => ({ proxy: rssOf(services.proxy.pid), connector: rssOf(services.connector.pid) });

  if (settings.phases.has('rps')) {
    log(`\nSmall GET at ${settings.connections} connections: ${settings.rounds} round(s), each variant ${settings.warmup} s warm-up + ${settings.seconds} s, order rotated`);
    const rounds: Array<Record<string, Window>> = [];
    const rssAfter: Array<{ proxy: number; connector: number }> = [];
    for (let r = 0; r < settings.rounds; r++) {
      const round: Record<string, Window> = {};
      for (const v of rotate(variants, r)) {
        round[v.name] = await measureLoad(tool, `${v.name} (round ${r + 1})`, v, services.backend.pid,
          { connections: settings.connections, seconds: settings.seconds, warmup: settings.warmup, threads: settings.threads }, dir);
        windows[v.name] = windows[`${v.name} (round ${r + 1})`];
      }
      rounds.push(round);
      rssAfter.push(sccRss());
      log(`  scc-sim RSS after round ${r + 1}: proxy ${rssAfter[r].proxy.toFixed(1)} MB, connector ${rssAfter[r].connector.toFixed(1)} MB`);
    }
    results.rps = { rounds, rssAfterRoundMB: rssAfter,
      peakRssMB: { proxy: peakRss(services.proxy.pid) / 1e6, connector: peakRss(services.connector.pid) / 1e6 } };
  }
  if (settings.phases.has('latency')) {
    // One window per variant and round, like the small-GET rounds: a single 4 s window at one
    // connection moved by 2-3× from run to run on this machine (process wake-ups dominate it), so
    // each variant's median round is the one reported and judged, and every round is printed.
    log(`\nOne connection: ${settings.rounds} round(s), each variant 1 s warm-up + ${settings.latSeconds} s, order rotated`);
    const latRounds: Array<Record<string, Window>> = [];
    for (let r = 0; r < settings.rounds; r++) {
      const round: Record<string, Window> = {};
      for (const v of rotate(variants, r + 1)) {
        round[v.name] = await measureLoad(tool, `${v.name} (1 connection, round ${r + 1})`, v, services.backend.pid,
          { connections: 1, seconds: settings.latSeconds, warmup: Math.min(1, settings.warmup), threads: 1 }, dir);
      }
      latRounds.push(round);
    }
    results.latency1 = Object.fromEntries(variants.map((v) => [v.name, medianBy(latRounds.map((round) => round[v.name]), (w) => w.load.p50)]));
    results.latency1Rounds = latRounds;
    log(`  p50 ms at 1 connection, round by round (the median is reported): ${variants.map((v) => `${v.name} ${latRounds.map((round) => (round[v.name].load.p50 / 1000).toFixed(2)).join(' ')}`).join('; ')}`);
  }
  if (settings.phases.has('transfer')) {
    log(`\nStreamed transfers of ${settings.transferBytes} bytes through scc-sim`);
    results.transfer = await transfers(services, token, config.ports.http, config.ports.backend);
  }
  if (settings.phases.has('many')) {
    log(`\n${settings.manyConnections} concurrent connections through scc-sim (${settings.manySeconds} s)`);
    const v = variants.find((x) => x.name === 'scc-sim')!;
    const w = await measureLoad(tool, `scc-sim (${settings.manyConnections} connections)`, v, services.backend.pid,
      { connections: settings.manyConnections, seconds: settings.manySeconds, warmup: 0, threads: 2 }, dir);
    results.many = { connections: settings.manyConnections, window: w, rssAfterMB: sccRss() };
  }
  results.targets = evaluate(results);

  await stopPeers(peers);
  await stopServices(services);
  const profiles = settings.profile.size > 0 ? profilesSince(started) : [];
  for (const f of profiles) {
    log(`\nCPU profile ${f}`);
    // scc-sim's proxy/connector profiles are cut to its last small-GET window, a peer hop's to its chain's.
    const chain = basename(f).startsWith('undici-') ? 'undici' : basename(f).startsWith('http-proxy-') ? 'http-proxy' : 'scc-sim';
    const w = windows[chain];
    log(summarise(f, w ? { top: 25, window: { ...w, label: `the last measured small-GET window through ${chain}` }, requests: w.requests } : { top: 25 }).text);
  }
  results.files = { ...results.files, ...Object.fromEntries(profiles.map((f, i) => [`profile${i}`, f])) };
  const json = join(dir, 'results.json');
  writeJson(json, results);
  log(render(results));
  log(`\nresults JSON: ${json}   (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().then(() => process.exit(0), async (err) => {
  if (isStopping()) return; // the signal handler stops the children and exits
  console.error(`\nbench failed: ${(err as Error).stack ?? err}`);
  await stopAll(2000);
  process.exit(1);
});
