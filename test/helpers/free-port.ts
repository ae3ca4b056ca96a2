// Ports for configs that need fixed ones (tests that start `scc-sim` commands as processes, which
// listen on the ports of their config file). A port the OS hands out for port 0 is free only
// until the next port-0 listener or outgoing connection of any test running in parallel takes it
// again (a CI run lost `scc-sim up` to exactly that: "cannot listen on 127.0.0.1:38665: the port
// is in use"). So the ports come from outside the kernel's ephemeral range, where nothing is
// assigned implicitly, and each is reserved across the test processes of the machine by a file
// published exclusively (publishExclusive, as the simulator CA is) that names the reserving
// process — removed when that process exits, cleared for a later pick if that process is gone.
// A port is also checked free by binding it before it is given.
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishExclusive } from '../../services/shared/exclusive-file.js';

const DIR = join(tmpdir(), 'scc-sim-test-ports');
const mine = new Set<string>();

/** The range to choose from: below the ephemeral range if there is room, else above it. */
function range(): [number, number] {
  let low = 32768;
  let high = 60999;
  try {
    [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  } catch { /* not Linux: the usual defaults */ }
  return low - 10000 >= 4096 ? [10000, low - 1] : [high + 1, 65535];
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Publishes the reservation file of `port` (complete or not at all); false if another process holds it. */
async function reserve(port: number): Promise<boolean> {
  const file = join(DIR, String(port));
  if (await publishExclusive(file, String(process.pid), 0o644)) {
    mine.add(file);
    return true;
  }
  const holder = Number(await readFile(file, 'utf8').catch(() => '0'));
  if (holder > 0 && !alive(holder)) await rm(file, { force: true }); // left by a process that is gone: free for a later pick
  return false;
}

function release(file: string): void {
  try { unlinkSync(file); } catch { /* already gone */ }
  mine.delete(file);
}

process.on('exit', () => { for (const file of mine) release(file); });

async function bindable(port: number): Promise<boolean> {
  const server = createServer();
  const outcome = Promise.race([once(server, 'listening').then(() => true), once(server, 'error').then(() => false)]);
  server.listen(port, '127.0.0.1');
  const ok = await outcome;
  if (ok) { server.close(); await once(server, 'close'); }
  return ok;
}

/** A port nothing listens on, kept from every other test process of this machine until this one exits. */
export async function freePort(): Promise<number> {
  mkdirSync(DIR, { recursive: true });
  const [low, high] = range();
  for (let tries = 0; tries < 200; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!(await reserve(port))) continue;
    if (await bindable(port)) return port;
    release(join(DIR, String(port)));
  }
  throw new Error(`no free port found in ${low}-${high} after 200 tries`);
}
