// Name resolution for tests, done the way the README tells users: hosts-file lines (those that
// `scc-sim env` prints). Never the machine's /etc/hosts:
//   - child processes (apps under test) run in a private mount namespace where a temporary hosts
//     file is bind-mounted over /etc/hosts (`unshare --mount` + `mount --bind`; as non-root with
//     `--user --map-root-user`). glibc's getaddrinfo, and so Node's dns.lookup, reads that file.
//   - the test process itself resolves through lookupFrom(), a dns.lookup that answers from the
//     same lines and nothing else.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The hosts lines among `scc-sim env`'s stderr hints (`#   127.0.0.1 name name …`). */
export function hostsLinesOf(stderr: string): string[] {
  return stderr.split('\n').map((l) => /^#\s+(\d{1,3}(?:\.\d{1,3}){3}(?:\s+[A-Za-z0-9.-]+)+)\s*$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
}

/** name → address, from hosts lines. */
export function hostsTable(lines: string[]): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of lines) {
    const [address, ...names] = line.trim().split(/\s+/);
    for (const n of names) table.set(n.toLowerCase(), address!);
  }
  return table;
}

/** A dns.lookup for http(s).request / undici that knows only the given hosts lines (and IP literals). */
export function lookupFrom(lines: string[]): LookupFunction {
  const table = hostsTable(lines);
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const address = /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) ? hostname : table.get(hostname.toLowerCase());
    if (address === undefined) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    if (options?.all) return callback(null, [{ address, family: 4 }]);
    return callback(null, address, 4);
  }) as LookupFunction;
}

interface Teardown { teardown(fn: () => unknown): void }

let unshareArgs: string[] | undefined;

/** `unshare` flags that work here: a plain mount namespace as root, else with a user namespace. */
function privateMountNamespace(): string[] {
  if (unshareArgs !== undefined) return unshareArgs;
  const tries = process.getuid?.() === 0 ? [['--mount'], ['--user', '--map-root-user', '--mount']] : [['--user', '--map-root-user', '--mount']];
  const probe = mkdtempSync(join(tmpdir(), 'scc-sim-hosts-probe-'));
  try {
    writeFileSync(join(probe, 'hosts'), '127.0.0.1 scc-sim-probe.invalid\n');
    for (const flags of tries) {
      const r = spawnSync('unshare', [...flags, '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && getent hosts scc-sim-probe.invalid', join(probe, 'hosts')],
        { encoding: 'utf8' });
      if (r.status === 0 && r.stdout.includes('127.0.0.1')) return (unshareArgs = flags);
    }
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  throw new Error('cannot give a child process its own /etc/hosts: `unshare --mount` (root) or `unshare --user --map-root-user --mount` '
    + 'must work (util-linux unshare, mount namespaces allowed)');
}

/**
 * Spawns `command` with `lines` appended to a copy of /etc/hosts, visible as /etc/hosts to that
 * process and its children only. The temporary file is removed at teardown.
 */
export function spawnWithHosts(t: Teardown, lines: string[], command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const flags = privateMountNamespace();
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-hosts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hosts');
  writeFileSync(file, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n# scc-sim env\n${lines.join('\n')}\n`);
  const script = 'mount --bind "$0" /etc/hosts && exec "$@"';
  return spawn('unshare', [...flags, '--propagation', 'private', 'sh', '-c', script, file, command, ...args], opts);
}
