// config/scc-sim.yaml with every port moved to one that was free a moment ago, for tests that start
// `scc-sim` commands as processes (which listen on the ports of their config file). The copy lives
// in a temporary folder that is removed at teardown.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, freePort } from './cli-process.js';

interface Teardown { teardown(fn: () => unknown): void }

export async function configWithFreePorts(t: Teardown): Promise<{ file: string; httpPort: number }> {
  const doc = parse(readFileSync(join(REPO_ROOT, 'config/scc-sim.yaml'), 'utf8'));
  const [httpPort, socks5Port, tokenServicePort, tunnelPort, tokenServiceHttpsPort] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  doc.proxy = { ...doc.proxy, httpPort, socks5Port, tokenServicePort, tunnelPort, tokenServiceHttpsPort };
  for (const b of doc.backends) {
    const port = await freePort();
    for (const m of doc.connectors[0].subaccounts[0].systemMappings) if (Number(m.localPort) === b.port) m.localPort = port;
    b.port = port;
  }
  doc.connectors[0].adminPort = await freePort();
  doc.connectors[0].reconnectInitialDelayMs = 20;
  doc.connectors[0].reconnectMaxDelayMs = 200;
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'scc-sim.yaml');
  writeFileSync(file, stringify(doc));
  return { file, httpPort };
}
