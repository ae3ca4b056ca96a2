// The CLI's process-level guard: an exception or rejection nobody handled is logged as one fatal
// line with its context (command, origin, the error) and the process exits 1. The fault is injected
// into a real `scc-sim proxy` process by a preloaded module, on a signal the test sends once the
// proxy is up.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from './helpers/cli-process.js';
import { world } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';

const dir = mkdtempSync(join(tmpdir(), 'scc-sim-guard-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'scc-sim.yaml');
writeFileSync(config, JSON.stringify({
  ...world({ proxy: { httpPort: 0, socks5Port: 0, tokenServicePort: 0, tokenServiceHttpsPort: 0, tunnelPort: 0 }, backends: [] }),
  connectors: [], logLevel: 'info',
}));

const FAULTS = {
  uncaughtException: "setImmediate(() => { throw new Error('boom from a test'); })",
  unhandledRejection: "Promise.reject(new Error('boom from a test'))",
};

for (const [origin, fault] of Object.entries(FAULTS)) {
  t.test(`an ${origin} is logged with its context and the process exits 1`, async (t) => {
    const inject = `data:text/javascript,${encodeURIComponent(`process.on('SIGUSR2', () => { ${fault}; });`)}`;
    const child = spawn(process.execPath, ['--import', inject, CLI, 'proxy', '--config', config], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    const up = new Promise<void>((resolve) => child.stdout.on('data', (d) => { out += d; if (out.includes('proxy service listening')) resolve(); }));
    child.stderr.on('data', (d) => { out += d; });
    await beforeDeadline(up, 20_000, 'the proxy is up');
    const exited = once(child, 'exit');
    child.kill('SIGUSR2');
    const [code] = await beforeDeadline(exited, 20_000, 'the process exits');
    t.equal(code, 1, 'exit code 1');
    const fatal = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.level === 60);
    t.ok(fatal, `one fatal log line; output:\n${out}`);
    t.equal(fatal?.origin, origin);
    t.equal(fatal?.command, 'proxy');
    t.equal(fatal?.err?.message, 'boom from a test');
    t.match(fatal?.msg, /scc-sim stops$/);
  });
}
