// The node flags the services ship with (src/service-flags.ts): every launcher passes exactly
// those, and on the node running this test they do what the module says — the young generation
// stays at 16 MB where without them it grows further (to 32 MB on this machine).
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVICE_NODE_FLAGS } from '../src/service-flags.js';
import { finalStage, jsonForm, readDockerfile } from './helpers/dockerfile.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

t.test('the Docker images and npm start launch the CLI with the service flags', async (t) => {
  for (const file of ['Dockerfile', '.ci/Dockerfile']) {
    const entrypoint = jsonForm(finalStage(readDockerfile(read(file))).filter((i) => i.op === 'ENTRYPOINT').at(-1));
    t.same(entrypoint, ['node', ...SERVICE_NODE_FLAGS, 'dist/src/cli.js'], `${file}: ENTRYPOINT ${JSON.stringify(entrypoint)}`);
  }
  const pkg = JSON.parse(read('package.json')) as { scripts: { start: string } };
  t.equal(pkg.scripts.start, ['node', ...SERVICE_NODE_FLAGS, 'dist/src/cli.js', 'up'].join(' '), `npm start: ${pkg.scripts.start}`);
});

// Allocates 1.5 million small objects of which up to 200,000 stay alive (as requests in flight
// do), and prints the largest size V8's new space had meanwhile, in MB.
const PROBE = `
const v8 = require('node:v8');
let keep = [], max = 0;
for (let i = 0; i < 1.5e6; i++) {
  keep.push({ i, a: [i] });
  if (keep.length > 200000) keep = keep.slice(100000);
  if (i % 5000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
}
console.log(max / 1048576);`;

async function youngGenerationMb(flags: readonly string[]): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '-e', PROBE], { env: { ...process.env, NODE_OPTIONS: '' } });
  return Number(stdout.trim());
}

t.test(`on ${process.version} the flags cap the young generation at 16 MB, which grows beyond that without them`, async (t) => {
  const [bare, flagged] = await Promise.all([youngGenerationMb([]), youngGenerationMb(SERVICE_NODE_FLAGS)]);
  t.ok(flagged > 1 && flagged <= 16, `with ${SERVICE_NODE_FLAGS.join(' ')} the new space grew to ${flagged} MB and no further`);
  t.ok(bare > flagged, `without flags it grew to ${bare} MB`);
});
