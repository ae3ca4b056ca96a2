// docker-compose.yml and the Dockerfile, checked without a Docker engine: the files are parsed and
// compared with what the CLI and the repository really have, then the three compose commands are
// started as real processes (same subcommands, same config, same environment) and carry a request
// from the HTTP proxy through the tunnel and the connector to the backend. With an engine, CI runs
// the stack itself: .ci/compose-check and test/compose-up.check.ts.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';
import { ENV_VARIABLES, loadConfigFile } from '../services/shared/config-load.js';
import type { Config } from '../services/shared/config-schema.js';
import { adminClient } from './helpers/admin-client.js';
import { jsonForm, readDockerfile } from './helpers/dockerfile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DOCKERFILE = join(ROOT, 'Dockerfile');
/** What `apt-get install` needs to provide `docker-compose config` (no engine required). */
const COMPOSE_APT_HINT = 'apt-get install -y --no-install-recommends docker-compose';

// ---------------------------------------------------------------------------------------------
// docker-compose.yml, as data

interface ComposeService {
  build?: string | { context?: string };
  image?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  networks?: string[] | Record<string, unknown>;
  ports?: Array<string | number | { target: number; published?: number | string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  volumes?: Array<string | { source?: string; target: string }>;
}
interface ComposeFile { services: Record<string, ComposeService>; networks?: Record<string, unknown>; volumes?: Record<string, unknown> }

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as ComposeFile;
const services = compose.services ?? {};

const commandOf = (name: string): string[] => {
  const c = services[name]?.command;
  return Array.isArray(c) ? c.map(String) : typeof c === 'string' ? c.trim().split(/\s+/) : [];
};
const optionOf = (args: string[], option: string): string | undefined => {
  const i = args.indexOf(option);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${option}=`))?.slice(option.length + 1);
};
const networksOf = (name: string): string[] => {
  const n = services[name]?.networks;
  return (Array.isArray(n) ? n : Object.keys(n ?? {})).slice().sort();
};
const environmentOf = (name: string): Record<string, string> => {
  const e = services[name]?.environment;
  if (Array.isArray(e)) {
    return Object.fromEntries(e.map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; }));
  }
  return Object.fromEntries(Object.entries(e ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
};
/** Compose's variable substitution on the host (`${VAR:-default}`, `${VAR-default}`, `${VAR}`) with `env`. */
const interpolate = (text: string, env: Record<string, string>): string => text.replace(/\$\{(\w+)(?:(:?-)([^}]*))?\}/g,
  (_m, name: string, op: string | undefined, fallback: string | undefined) => {
    const value = env[name];
    if (op === ':-') return value ? value : fallback ?? '';
    if (op === '-') return value ?? fallback ?? '';
    return value ?? '';
  });
/** Published ports as "host:container" (short or long syntax), "address:host:container" with an address; `env` as on the host. */
const publishedOf = (name: string, env: Record<string, string> = {}): string[] => (services[name]?.ports ?? []).map((p) => {
  if (typeof p === 'object') return `${p.published ?? ''}:${p.target}`;
  const parts = interpolate(String(p), env).split(':');
  if (parts.length === 3) return parts.join(':');
  return parts.length === 1 ? `:${parts[0]}` : `${parts.at(-2)}:${parts.at(-1)}`;
}).sort();
const shareNetwork = (a: string, b: string) => networksOf(a).some((n) => networksOf(b).includes(n));

// ---------------------------------------------------------------------------------------------
// Processes

interface RunResult { code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', (error: NodeJS.ErrnoException) => done({ code: null, stdout, stderr, error }));
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * Ours, without any SCC_SIM_* knob and without NODE_OPTIONS (tap preloads its process tracker
 * through it; the image sets none): what `node dist/src/cli.js` sees in a container.
 */
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SCC_SIM_') && k !== 'NODE_OPTIONS'));

/** The environment of a compose service on this machine: baseEnv, then the service's `environment:`, then `overrides`. */
function serviceEnv(name: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...baseEnv, ...environmentOf(name), ...overrides };
}

interface LogLine { msg?: string; [key: string]: unknown }

interface Service {
  readonly label: string;
  readonly child: ChildProcess;
  /** Resolves with the first log line whose msg matches; rejects if the process exits first. */
  waitFor(msg: RegExp): Promise<LogLine>;
}

function startService(t: Test, label: string, args: string[], env: NodeJS.ProcessEnv): Service {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let stderr = '';
  const waiters = new Set<{ msg: RegExp; resolve: (l: LogLine) => void; reject: (e: Error) => void }>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try { line = JSON.parse(text) as LogLine; } catch { line = { msg: text }; }
    lines.push(line);
    for (const w of waiters) if (w.msg.test(String(line.msg ?? ''))) { waiters.delete(w); w.resolve(line); }
  });
  child.once('exit', (code, signal) => {
    for (const w of waiters) {
      w.reject(new Error(`${label} exited (code ${code}, signal ${signal}) before logging ${w.msg}\nstdout:\n`
        + `${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`));
    }
    waiters.clear();
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });
  return {
    label,
    child,
    waitFor: (msg) => {
      const seen = lines.find((l) => msg.test(String(l.msg ?? '')));
      if (seen) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${label} is not running (exit code ${child.exitCode}); stderr:\n${stderr}`));
      return new Promise((resolve, reject) => { waiters.add({ msg, resolve, reject }); });
    },
  };
}

function proxiedGet(proxyPort: number, url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const target = new URL(url);
    const req = request({
      host: '127.0.0.1', port: proxyPort, method: 'GET', path: url,
      headers: { host: target.host, 'proxy-authorization': `Bearer ${token}` },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', fail);
    req.end();
  });
}

const portOf = (url: unknown) => Number(new URL(String(url)).port);

// ---------------------------------------------------------------------------------------------
// Dockerfile, as data

const dockerfile = readDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const finalStage = dockerfile.stages.length - 1;
const inFinal = (op: string) => dockerfile.instructions.filter((i) => i.op === op && i.stage === finalStage);

// ---------------------------------------------------------------------------------------------

/** The compose services that run `scc-sim backend`: the Hello World backend and the TCP ones. */
const backendServices = Object.keys(services).filter((name) => commandOf(name)[0] === 'backend').sort();

t.test('docker-compose.yml runs the proxy, the connector and the backends, all from the one image', async (t) => {
  t.same(Object.keys(services).sort(), ['backend', 'connector', 'echo', 'mail', 'proxy'], 'proxy, connector and three backends');
  t.same(backendServices, ['backend', 'echo', 'mail'], 'backend, echo and mail run `scc-sim backend`');
  for (const [name, s] of Object.entries(services)) {
    const context = typeof s.build === 'string' ? s.build : s.build?.context;
    t.equal(context, '.', `${name} is built from the repository's Dockerfile`);
    t.equal(s.image, 'scc-sim:local', `${name} runs the image scc-sim:local`);
    if (!backendServices.includes(name)) t.equal(commandOf(name)[0], name, `${name} runs \`scc-sim ${name}\``);
  }
});

t.test('the backend is only on onprem, the proxy only on cloud, the connector on both', async (t) => {
  for (const b of backendServices) t.same(networksOf(b), ['onprem'], `${b} networks`);
  t.same(networksOf('proxy'), ['cloud'], 'proxy networks');
  t.same(networksOf('connector'), ['cloud', 'onprem'], 'connector networks');
  t.notOk(shareNetwork('proxy', 'backend'), 'the proxy cannot reach the backend directly');
  const declared = Object.keys(compose.networks ?? {});
  for (const name of Object.keys(services)) {
    for (const n of networksOf(name)) t.ok(declared.includes(n), `network ${n} of ${name} is declared under networks:`);
  }
});

t.test('the proxy and the connector share one simulator CA: a named volume at the image\'s .scc-sim', async (t) => {
  const caFolder = posix.join(dockerfile.stages[finalStage].workdir, '.scc-sim');
  const sourceAt = (name: string) => (services[name]?.volumes ?? [])
    .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
    .find((v) => posix.normalize(v.target ?? '') === caFolder)?.source;
  const proxy = sourceAt('proxy');
  t.ok(proxy, `the proxy mounts a volume at ${caFolder}`);
  t.equal(sourceAt('connector'), proxy, 'the connector mounts the same volume there');
  t.ok(proxy !== undefined && Object.keys(compose.volumes ?? {}).includes(proxy), `${proxy} is a named volume declared under volumes:`);
});

t.test('the proxy publishes 20003, 20004, 8080 and 8443 on the host, on the ports its config listens on', async (t) => {
  t.same(publishedOf('proxy'), ['20003:20003', '20004:20004', '8080:8080', '8443:8443'], 'proxy ports');
  t.same(publishedOf('connector'), ['8444:8444'], 'the connector publishes only its admin API: its tunnel dials out');
  const connectorConfig = loadConfigFile(join(ROOT, optionOf(commandOf('connector'), '--config')!), environmentOf('connector'));
  const admin = connectorConfig.connectors.find((k) => k.name === optionOf(commandOf('connector'), '--name'))!;
  t.same([admin.adminHost, admin.adminPort], ['0.0.0.0', 8444], 'the admin API binds all interfaces of the connector container, on the published port');
  for (const b of backendServices) t.same(publishedOf(b), [], `${b} publishes nothing: it is on-premise`);
  const config = loadConfigFile(join(ROOT, optionOf(commandOf('proxy'), '--config')!), environmentOf('proxy'));
  const containerPorts = publishedOf('proxy').map((p) => Number(p.split(':')[1])).sort();
  t.same(containerPorts, [config.proxy.httpPort, config.proxy.socks5Port, config.proxy.tokenServicePort, config.proxy.tokenServiceHttpsPort].sort(),
    'the published container ports are the HTTP proxy, SOCKS5 and token service (HTTP and HTTPS) ports of the config');
  t.equal(config.proxy.host, '0.0.0.0', 'the proxy binds all interfaces of its container');
});

t.test('SCC_SIM_PUBLISH_* move every published port; "127.0.0.1:" publishes on any free port of loopback only', async (t) => {
  const variables = (services.proxy.ports ?? []).map((p) => /^\$\{(SCC_SIM_PUBLISH_\w+):-\d+\}:\d+$/.exec(String(p))?.[1]);
  t.ok(variables.every(Boolean), `each proxy port is "\${SCC_SIM_PUBLISH_…:-<default>}:<port>" (${variables.join(', ')})`);
  const loopback = Object.fromEntries(variables.map((v) => [v!, '127.0.0.1:']));
  t.same(publishedOf('proxy', loopback), ['127.0.0.1::20003', '127.0.0.1::20004', '127.0.0.1::8080', '127.0.0.1::8443'], 'all on 127.0.0.1, host ports left to Docker');
  t.same(publishedOf('proxy', { SCC_SIM_PUBLISH_TOKEN: '18080' }), ['20003:20003', '20004:20004', '18080:8080', '8443:8443'].sort(), 'one port moved, the others at their defaults');
});

t.test('the proxy has a healthcheck that the connector waits for', async (t) => {
  const test = services.proxy.healthcheck?.test;
  const argv = Array.isArray(test) ? test : [];
  t.same(argv.slice(0, 3), ['CMD', 'node', '-e'], 'the healthcheck runs node, which the image has');
  t.match(argv[3] ?? '', /http:\/\/127\.0\.0\.1:8080\/status/, 'it fetches the status page');
  const dependsOn = services.connector.depends_on;
  t.same(dependsOn && !Array.isArray(dependsOn) ? dependsOn.proxy : undefined, { condition: 'service_healthy' },
    'the connector starts once the proxy is healthy');
});

t.test('every service command is a scc-sim subcommand with known options and a config that passes `scc-sim check`', async (t) => {
  const runs = Object.keys(services).map((name) => {
    const args = commandOf(name);
    const file = optionOf(args, '--config');
    return {
      name, args, file,
      help: run(process.execPath, [CLI, args[0], '--help']),
      check: file ? run(process.execPath, [CLI, 'check', '--config', file], { env: serviceEnv(name) }) : undefined,
    };
  });
  for (const { name, args, file, ...pending } of runs) {
    const [sub] = args;
    const help = await pending.help;
    t.equal(help.code, 0, `\`scc-sim ${sub} --help\` exits 0`);
    t.match(help.stdout, new RegExp(`^scc-sim ${sub} `), `${sub} is a subcommand the CLI has its own help for`);
    for (const option of args.filter((a) => a.startsWith('--'))) {
      t.ok(help.stdout.includes(option.split('=')[0]), `${sub} takes ${option}`);
    }
    t.ok(file, `${name} names its config file`);
    if (!file || !pending.check) continue;
    t.ok(existsSync(join(ROOT, file)), `${file} exists in the repository`);
    const check = await pending.check;
    t.equal(check.code, 0, `\`scc-sim check --config ${file}\` passes${check.stderr ? `: ${check.stderr}` : ''}`);
    t.match(check.stdout, /valid/, 'and says so');
    const chosen = optionOf(args, '--name');
    if (chosen !== undefined) {
      const config = loadConfigFile(join(ROOT, file), environmentOf(name));
      const names = (sub === 'connector' ? config.connectors : config.backends).map((x) => x.name);
      t.ok(names.includes(chosen), `--name ${chosen} is a ${sub} of ${file} (${names.join(', ')})`);
    }
  }
});

t.test('every environment variable of a service is a deployment knob the CLI knows', async (t) => {
  t.ok(ENV_VARIABLES.length > 0, 'the CLI lists its environment variables');
  for (const name of Object.keys(services)) {
    for (const key of Object.keys(environmentOf(name))) {
      t.ok(ENV_VARIABLES.includes(key), `${name}: ${key} is one of ${ENV_VARIABLES.join(', ')}`);
    }
  }
});

t.test('the compose config is the default world, with the compose service names as host names', async (t) => {
  const file = optionOf(commandOf('connector'), '--config')!;
  for (const name of Object.keys(services)) t.equal(optionOf(commandOf(name), '--config'), file, `${name} reads ${file} too`);
  const world = loadConfigFile(join(ROOT, file));
  const local = loadConfigFile(join(ROOT, 'config/scc-sim.yaml'));
  t.same(world.subaccounts, local.subaccounts, 'same subaccounts and clients as config/scc-sim.yaml');
  const withoutHosts = (c: Config) => ({
    ports: { ...c.proxy, host: undefined, publicHost: undefined },
    connectors: c.connectors.map((k) => ({
      ...k, tunnelHost: undefined, adminHost: undefined,
      subaccounts: k.subaccounts.map((s) => ({ ...s, systemMappings: s.systemMappings.map((m) => ({ ...m, localHost: undefined })) })),
    })),
    backends: c.backends.map((b) => ({ ...b, host: undefined })),
  });
  t.same(withoutHosts(world), withoutHosts(local), 'same ports, connectors, mappings and backends apart from host names');

  const connectorCmd = commandOf('connector');
  const connector = world.connectors.find((k) => k.name === optionOf(connectorCmd, '--name'))!;
  t.ok(connector, 'the connector of the compose command is in the file');
  if (!connector) return;
  const tunnelHost = connector.tunnelHost ?? world.proxy.publicHost ?? world.proxy.host;
  t.equal(tunnelHost, 'proxy', 'the connector dials the proxy service by its compose name');
  t.ok(shareNetwork('connector', tunnelHost), `the connector shares a network with ${tunnelHost}`);
  for (const m of connector.subaccounts.flatMap((s) => s.systemMappings)) {
    t.ok(backendServices.includes(m.localHost), `${m.virtualHost}:${m.virtualPort} goes to a compose backend service (${m.localHost})`);
    t.ok(shareNetwork('connector', m.localHost), `the connector shares a network with ${m.localHost}`);
    const backend = world.backends.find((b) => b.name === optionOf(commandOf(m.localHost), '--name'));
    t.ok(backend, `the compose service ${m.localHost} runs a backend of the file`);
    t.equal(backend?.host, '0.0.0.0', `${m.localHost} binds all interfaces of its container`);
    t.equal(Number(m.localPort), backend?.port, `${m.virtualHost}:${m.virtualPort} goes to the port ${m.localHost} listens on`);
  }
  t.equal(world.proxy.publicHost, 'proxy', 'URLs the proxy hands out name it as apps on the cloud network reach it');
});

t.test('the Dockerfile builds what it runs: COPY sources, ENTRYPOINT and CMD exist', async (t) => {
  t.ok(dockerfile.stages.length >= 2, 'a build stage and a runtime stage');
  t.ok(existsSync(CLI), 'dist/src/cli.js exists after the build');
  const entrypoint = jsonForm(inFinal('ENTRYPOINT').at(-1));
  const workdir = dockerfile.stages[finalStage].workdir;
  t.equal(entrypoint[0], 'node', 'the entrypoint runs node');
  const script = entrypoint.at(-1); // after node's flags (test/service-flags.test.ts checks those)
  t.ok(script && existsSync(join(ROOT, posix.relative(workdir, posix.resolve(workdir, script)))),
    `the entrypoint file ${script} exists after the build`);
  const cmd = jsonForm(inFinal('CMD').at(-1));
  t.equal(cmd[0], 'up', 'the default command starts everything');
  const cmdConfig = optionOf(cmd, '--config');
  t.ok(cmdConfig && existsSync(join(ROOT, cmdConfig)), `the default config ${cmdConfig} exists`);

  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!')).map((l) => l.replace(/^\/|\/$/g, ''));
  const isIgnored = (p: string) => ignored.some((pattern) => !pattern.includes('*') && (p === pattern || p.startsWith(`${pattern}/`)));
  for (const i of dockerfile.instructions.filter((x) => x.op === 'COPY' || x.op === 'ADD')) {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    for (const src of paths.slice(0, -1)) {
      if (from === undefined) {
        const rel = posix.normalize(src).replace(/^\.\/|\/$/g, '');
        t.ok(existsSync(join(ROOT, rel)), `COPY source ${src} exists in the repository`);
        t.notOk(isIgnored(rel), `COPY source ${src} is not excluded by .dockerignore`);
      } else {
        // A file of another stage: that stage copied the repository to its WORKDIR, so it maps to the repository.
        const stage = dockerfile.stages.find((s) => s.name === from);
        t.ok(stage, `COPY --from=${from} names a stage of the Dockerfile`);
        if (!stage) continue;
        const rel = posix.relative(stage.workdir, posix.resolve(stage.workdir, src));
        t.notOk(rel.startsWith('..'), `${src} is inside the ${from} stage's WORKDIR ${stage.workdir}`);
        t.ok(existsSync(join(ROOT, rel)), `COPY --from=${from} source ${src} exists after the build (${rel})`);
      }
    }
  }
  const buildStage = dockerfile.stages.findIndex((s) => s.name === 'build');
  const builtFrom = dockerfile.instructions.filter((i) => i.stage === buildStage && i.op === 'COPY')
    .flatMap((i) => i.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1)).map((p) => p.replace(/^\.\/|\/$/g, ''));
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  for (const dir of new Set(tsconfig.include.map((p) => p.split('/')[0]))) {
    t.ok(builtFrom.includes(dir), `the build stage copies ${dir}/, which tsconfig.json compiles`);
  }
  t.ok(inFinal('RUN').some((i) => /npm ci\b.*--omit=dev/.test(i.args)), 'the runtime stage installs production dependencies only');
  const user = inFinal('USER').at(-1)?.args;
  t.ok(user && !/^(root|0)(:|$)/.test(user), `the services run as a non-root user (${user})`);
  const exposed = inFinal('EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.split('/')[0]));
  t.same(exposed.slice().sort(), [20003, 20004, 8080, 8443, 8042, 8444].sort(), 'EXPOSE names the proxy, SOCKS5, token (HTTP, HTTPS), tunnel and admin API ports');
  for (const p of publishedOf('proxy')) t.ok(exposed.includes(Number(p.split(':')[1])), `published port ${p} is exposed`);
});

const composeMissing = (await run('docker-compose', ['version'])).error?.code === 'ENOENT';
t.test('docker-compose config accepts docker-compose.yml, and rejects a broken copy', {
  skip: composeMissing && `docker-compose is not installed; it validates compose files without a Docker engine: ${COMPOSE_APT_HINT}`,
}, async (t) => {
  const ok = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
  t.equal(ok.code, 0, `docker-compose -f docker-compose.yml config -q exits 0${ok.stderr ? `: ${ok.stderr}` : ''}`);
  const moved = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env: { ...baseEnv, SCC_SIM_PUBLISH_HTTP: '127.0.0.1:' } });
  t.match(moved.stdout, /127\.0\.0\.1/, 'with SCC_SIM_PUBLISH_HTTP=127.0.0.1: the HTTP proxy is published on loopback');
  t.notMatch(moved.stdout, /(^|[\s"-])20003:20003|published: "?20003"?$/m, 'on a port Docker picks, not 20003');
  // Proof that `config` really validates here (and is not a no-op without an engine).
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-compose-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const doc = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'));
  doc.setIn(['services', 'proxy', 'no_such_option'], true);
  writeFileSync(join(dir, 'docker-compose.yml'), doc.toString());
  const bad = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: dir });
  t.not(bad.code, 0, 'a copy with an unknown service option is rejected');
  t.match(bad.stderr, /no_such_option/, 'naming the option');
});

t.test('the three compose commands, started as processes, carry a request from the proxy to the backend', async (t) => {
  // There is no Docker DNS here, so the compose host names "proxy" and "backend" cannot resolve,
  // and the fixed ports may be taken. Hosts and ports the CLI takes from the environment are
  // overridden with the env knobs (as one would in compose); what only the config file holds —
  // the mapping's `localHost: backend`, the backend's port and the mapping's localPort — is
  // rewritten in a copy of the compose config: host names → 127.0.0.1, ports → the ephemeral
  // port the backend got. `publicHost: proxy` is kept, as in the containers.
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-compose-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const serviceNames = new Set(Object.keys(services));
  const writeWorld = (source: string, backendPort: number | undefined, out: string): string => {
    const doc = parseDocument(readFileSync(join(ROOT, source), 'utf8'));
    const world = doc.toJS() as { connectors?: Array<{ subaccounts?: Array<{ systemMappings?: Array<{ localHost: string }> }> }>; backends?: unknown[] };
    world.connectors?.forEach((k, i) => k.subaccounts?.forEach((s, n) => s.systemMappings?.forEach((m, j) => {
      const at = ['connectors', i, 'subaccounts', n, 'systemMappings', j];
      if (serviceNames.has(m.localHost)) doc.setIn([...at, 'localHost'], '127.0.0.1');
      if (backendPort !== undefined) doc.setIn([...at, 'localPort'], backendPort);
    })));
    // Every backend of the copy listens on port 0 (ephemeral): one port for all three would be a
    // collision that `scc-sim check` refuses, and only the mappings need the hello backend's port.
    world.backends?.forEach((_b, i) => doc.setIn(['backends', i, 'port'], 0));
    const file = join(dir, out);
    writeFileSync(file, doc.toString());
    return file;
  };
  const withConfig = (args: string[], file: string) => args.map((a, i) => (args[i - 1] === '--config' ? file : a));
  const ephemeral = { SCC_SIM_HTTP_PORT: '0', SCC_SIM_SOCKS5_PORT: '0', SCC_SIM_TOKEN_PORT: '0', SCC_SIM_TOKEN_HTTPS_PORT: '0', SCC_SIM_TUNNEL_PORT: '0' };

  const backendArgs = commandOf('backend');
  const backendFile = writeWorld(optionOf(backendArgs, '--config')!, undefined, 'backend.yaml');
  const backend = startService(t, 'backend', withConfig(backendArgs, backendFile), serviceEnv('backend', { SCC_SIM_BACKEND_HOST: '127.0.0.1' }));
  const backendPort = portOf((await backend.waitFor(/^backend listening$/)).url);
  t.ok(backendPort > 0, `the backend listens on 127.0.0.1:${backendPort}`);

  const proxyArgs = commandOf('proxy');
  const proxyFile = writeWorld(optionOf(proxyArgs, '--config')!, backendPort, 'proxy.yaml');
  const proxy = startService(t, 'proxy', withConfig(proxyArgs, proxyFile), serviceEnv('proxy', { ...ephemeral, SCC_SIM_PROXY_HOST: '127.0.0.1' }));
  const listening = await proxy.waitFor(/^proxy service listening$/);
  const httpPort = portOf(listening.httpProxy);
  const tokenPort = portOf(listening.tokenService);
  const tunnelPort = portOf(listening.tunnel);
  t.ok(httpPort > 0 && tokenPort > 0 && tunnelPort > 0, 'the proxy reports the HTTP proxy, token and tunnel ports it bound');
  t.equal(new URL(String(listening.tokenService)).hostname, 'proxy', 'the proxy names itself by its compose host name');

  const connectorArgs = commandOf('connector');
  const connectorFile = writeWorld(optionOf(connectorArgs, '--config')!, backendPort, 'connector.yaml');
  const connector = startService(t, 'connector', withConfig(connectorArgs, connectorFile),
    serviceEnv('connector', { SCC_SIM_TUNNEL_HOST: '127.0.0.1', SCC_SIM_TUNNEL_PORT: String(tunnelPort), SCC_SIM_ADMIN_HOST: '127.0.0.1', SCC_SIM_ADMIN_PORT: '0' }));
  await connector.waitFor(/tunnel established/);
  await proxy.waitFor(/Cloud Connector connected/);
  const adminUrl = String((await connector.waitFor(/^admin API listening$/)).url);
  const version = await adminClient({ url: adminUrl, user: 'Administrator', password: 'manage', caFile: join(ROOT, '.scc-sim/ca/ca.pem') })
    .get('/api/v1/connector/version');
  t.same([version.status, version.json()], [200, { version: '2.19.0.2' }], 'the compose connector\'s admin API answers with Administrator / manage');

  const status = await (await fetch(`http://127.0.0.1:${tokenPort}/status`)).json() as {
    subaccounts: Array<{ cloudConnectors: Array<{ connector: string; locationID: string }> }>;
  };
  t.same(status.subaccounts.flatMap((s) => s.cloudConnectors.map((c) => c.connector)), [optionOf(connectorArgs, '--name')],
    'the status page lists the compose connector as connected');

  // From the host, the README's way: `scc-sim token --config config/scc-sim.yaml` (publicHost unset,
  // so it calls 127.0.0.1); the token service stamps its own publicHost into `iss`.
  const token = await run(process.execPath, [CLI, 'token', '--config', 'config/scc-sim.yaml'],
    { env: { ...serviceEnv('proxy'), SCC_SIM_TOKEN_PORT: String(tokenPort) } });
  t.equal(token.code, 0, `scc-sim token exits 0${token.stderr ? `: ${token.stderr}` : ''}`);
  const jwt = token.stdout.trim();
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string };
  t.equal(claims.iss, `http://proxy:${tokenPort}/oauth/token`, 'a token fetched via 127.0.0.1 is issued by http://proxy:<port>');

  const res = await proxiedGet(httpPort, 'http://virtualhost:3333/', jwt);
  t.equal(res.status, 200, 'the proxied request succeeds');
  t.equal(res.body, 'Hello World!', 'with the backend\'s answer');
  const forwarded = await connector.waitFor(/^forwarded$/);
  t.equal(forwarded.status, 200, 'the connector logged forwarding it to the backend');
});
