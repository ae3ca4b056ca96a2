// Starts `scc-sim` commands as real child processes for tests: output captured, lines awaited as
// events (never a sleep), and every process killed at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** stderr alone so far. */
  stderr(): string;
  /** Resolves with the first line (past or future) that matches; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

interface Teardown { teardown(fn: () => unknown): void }

export function startCli(t: Teardown, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => { out += d.toString(); for (const w of waiters) w(); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = once(child, 'exit');
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return {
    child,
    output: () => out,
    stderr: () => err,
    // A bound on a hang, not a speed check: a loaded machine (CI on two cores) may take seconds to start a process.
    waitFor(pattern, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) { done(); resolve(line); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`)); }, timeoutMs);
        const onExit = () => { done(); reject(new Error(`process exited (${child.exitCode}) before ${pattern}; output:\n${out}`)); };
        const done = () => { clearTimeout(timer); waiters.delete(check); child.off('exit', onExit); };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Runs a command to completion and returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

export { freePort } from './free-port.js';
