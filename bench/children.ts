// Every process the bench starts, and the one way to end them: SIGTERM, then SIGKILL after a
// grace period. Also ends them on SIGINT/SIGTERM of the bench and on its exit (no orphans).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...live].map((c) => stop(c, graceMs)));
}

let installed = false;
let stopping = false;
/** True once the bench got SIGINT/SIGTERM: errors from then on are the children going away. */
export const isStopping = (): boolean => stopping;
/** On SIGINT/SIGTERM: stop every child, then exit 130/143. On exit: SIGKILL whatever is left. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    stopping = true;
    console.error(`\nbench: ${signal} — stopping ${live.size} child process(es)`);
    void stopAll(2000).finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
}
