// Regressions (issue 11, defects 7-10): a config file that would misbehave at run time is refused
// by `scc-sim check` (and `up`) with exit 1, each problem once as `path: message` or
// `file:line:col: message`, never a stack trace: millisecond settings above 2^31-1 (Node fires such
// a timer after 1 ms), two listeners on one port, a YAML typo (once, not 5-11 follow-on errors),
// a YAML alias bomb (as `file: …`). The CLI runs as a real process; each answer must come before
// a generous deadline.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { editorSchema } from '../services/shared/config-json-schema.js';
import { listenersOf, portConflicts } from '../services/shared/config-listeners.js';
import { parseConfig } from '../services/shared/config-load.js';
import { REPO_ROOT, freePort, runCli } from './helpers/cli-process.js';
import { beforeDeadline } from './helpers/deadline.js';

const DEADLINE_MS = 30_000;
const MAX = 2 ** 31 - 1;
const dir = mkdtempSync(join(tmpdir(), 'scc-sim-config-errors-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const world = (over: { proxy?: Record<string, unknown>; connector?: Record<string, unknown>; mapping?: Record<string, unknown>; backends?: unknown[] } = {}) => ({
  logLevel: 'silent',
  proxy: { host: '127.0.0.1', ...over.proxy },
  subaccounts: [{ subaccount: 'sa', subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] }],
  connectors: [{
    name: 'k', subaccount: 'sa', cloudUser: 'u', cloudPassword: 'p', ...over.connector,
    systemMappings: [{ virtualHost: 'vh', virtualPort: 80, localHost: '127.0.0.1', localPort: 3333, resources: [{ id: '/' }], ...over.mapping }],
  }],
  backends: over.backends ?? [],
});

let n = 0;
function file(content: string | object): string {
  const f = join(dir, `config-${n++}.yaml`);
  writeFileSync(f, typeof content === 'string' ? content : stringify(content));
  return f;
}

/** Runs `scc-sim <command> --config f` to its exit, before the deadline. */
async function run(command: string, f: string) {
  return beforeDeadline(runCli([command, '--config', f]), DEADLINE_MS, `scc-sim ${command}`);
}

/** Exit 1, the given problem lines exactly (in any order), and no stack trace. */
async function refused(t: Test, command: string, f: string, problems: string[]) {
  const res = await run(command, f);
  t.equal(res.code, 1, `scc-sim ${command} exits 1`);
  const lines = res.stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.slice(2));
  t.same(lines.sort(), [...problems].sort(), `scc-sim ${command} lists exactly these problems`);
  t.notMatch(res.stderr + res.stdout, /^\s+at /m, 'no stack trace');
}

t.test('a millisecond setting above 2^31-1 is refused by scc-sim check and up (Node would fire its timer after 1 ms)', async (t) => {
  const f = file(world({ connector: { reconnectMaxDelayMs: MAX + 1 }, mapping: { timeoutMs: 2 ** 40 }, proxy: { tunnelPingTimeoutMs: MAX + 1 } }));
  const problems = [
    `connectors[0].reconnectMaxDelayMs: Expected integer to be less or equal to ${MAX}`,
    `connectors[0].systemMappings[0].timeoutMs: Expected integer to be less or equal to ${MAX}`,
    `proxy.tunnelPingTimeoutMs: Expected integer to be less or equal to ${MAX}`,
  ];
  await refused(t, 'check', f, problems);
  await refused(t, 'up', f, problems);
  const ok = await run('check', file(world({ connector: { reconnectMaxDelayMs: MAX }, mapping: { timeoutMs: MAX } })));
  t.equal(ok.code, 0, `2^31-1 itself is valid: ${ok.stderr}`);
});

t.test('every millisecond field of the schema has a maximum of at most 2^31-1', async (t) => {
  const fields: string[] = [];
  const walk = (node: any, path: string) => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node.properties ?? {})) {
      if (/Ms$/.test(key)) {
        fields.push(`${path}${key}`);
        t.ok((value as any).maximum !== undefined && (value as any).maximum <= MAX, `${path}${key} has maximum ${(value as any).maximum}`);
      }
      walk(value, `${path}${key}.`);
    }
    if (node.items) walk(node.items, path.replace(/\.$/, '[].'));
    for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(alt, path);
  };
  walk(editorSchema(), '');
  t.ok(fields.includes('connectors[].systemMappings[].timeoutMs') && fields.includes('proxy.tunnelPingIntervalMs'), `found them all: ${fields.join(', ')}`);
});

t.test('two listeners on one port are refused by scc-sim check, naming both config fields', async (t) => {
  const f = file(world({
    proxy: { httpPort: 20555, socks5Port: 20555, tunnelPort: 20556 },
    backends: [{ name: 'hello', kind: 'http', host: '127.0.0.1', port: 20556 }, { name: 'echo', kind: 'tcp-echo', host: '0.0.0.0', port: 20555 }],
  }));
  await refused(t, 'check', f, [
    'proxy.socks5Port: port 20555 on 127.0.0.1 is already proxy.httpPort',
    'backends[0].port: port 20556 on 127.0.0.1 is already proxy.tunnelPort',
    'backends[1].port: port 20555 on 0.0.0.0 is already proxy.httpPort (on 127.0.0.1)',
  ]);
  // `up` fails the same way, before it listens on anything.
  await refused(t, 'up', f, [
    'proxy.socks5Port: port 20555 on 127.0.0.1 is already proxy.httpPort',
    'backends[0].port: port 20556 on 127.0.0.1 is already proxy.tunnelPort',
    'backends[1].port: port 20555 on 0.0.0.0 is already proxy.httpPort (on 127.0.0.1)',
  ]);
});

t.test('ports are unique per host: port 0 (ephemeral) and different addresses never collide', async (t) => {
  const c = parseConfig(world({
    proxy: { httpPort: 0, socks5Port: 0, tokenServicePort: 0, tokenServiceHttpsPort: 0, tunnelPort: 0 },
    backends: [{ name: 'a', host: '127.0.0.2', port: 3333 }, { name: 'b', host: '127.0.0.3', port: 3333 }, { name: 'c', port: 0 }],
  }));
  t.same(portConflicts(listenersOf(c)), []);
  t.same(portConflicts([{ host: 'localhost', port: 1, path: 'a' }, { host: '::1', port: 1, path: 'b' }, { host: '::', port: 2, path: 'c' }, { host: '127.0.0.1', port: 2, path: 'd' }]),
    ['b: port 1 on ::1 is already a (on localhost)', 'd: port 2 on 127.0.0.1 is already c (on ::)']);
});

t.test('scc-sim up names the config field whose port another process holds, and exits 1 without a stack trace', async (t) => {
  const holder = net.createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.teardown(() => holder.close());
  const held = (holder.address() as net.AddressInfo).port;
  const [socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const res = await run('up', file({ ...world({ proxy: { httpPort: held, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort } }), connectors: [] }));
  t.equal(res.code, 1);
  t.match(res.stderr, `proxy.httpPort: cannot listen on 127.0.0.1:${held}: the port is in use by another process`);
  t.notMatch(res.stderr + res.stdout, /^\s+at /m, 'no stack trace');
});

t.test('one YAML typo is reported once, with file, line and column', async (t) => {
  const shipped = readFileSync(join(REPO_ROOT, 'config/scc-sim.yaml'), 'utf8');
  const bracket = file(shipped.replace('localPort: 3333', 'localPort: [3333'));
  // The parser notices the unclosed bracket at the first key of the next line.
  const lines = shipped.split('\n');
  const next = lines.findIndex((l) => l.includes('localPort: 3333')) + 1;
  const at = `${next + 1}:${lines[next]!.search(/\S/) + 1}`;
  await refused(t, 'check', bracket, [`${bracket}:${at}: Flow sequence in block collection must be sufficiently indented and end with a ]`]);
  const tab = file(shipped.replace('  httpPort: 20003', '\thttpPort: 20003'));
  await refused(t, 'check', tab, [`${tab}:8:1: Tabs are not allowed as indentation`]);
  await refused(t, 'up', tab, [`${tab}:8:1: Tabs are not allowed as indentation`]);
});

t.test('a YAML alias bomb is refused as "file: message", fast, by check and up', async (t) => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) levels.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(',')}]`);
  const bomb = file(`${levels.join('\n')}\n`);
  await refused(t, 'check', bomb, [`${bomb}: Excessive alias count indicates a resource exhaustion attack`]);
  await refused(t, 'up', bomb, [`${bomb}: Excessive alias count indicates a resource exhaustion attack`]);
});
