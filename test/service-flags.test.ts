// The node flags the services ship with (src/service-flags.ts): every launcher passes exactly
// those, and on the node running this test they do what the module says — the young generation
// stays at 16 MB where without them it grows further (to 32 MB on this machine), and WebAssembly
// stays in V8's baseline tier where without them a hot function is optimized.
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

// A WebAssembly function (i32 add) called until V8 optimizes it — in batches with a turn of the
// event loop between, where a background compile lands — or 40 million times; prints its tier.
const WASM_PROBE = `
const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]);
const { add } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
let batches = 0, s = 0;
(function batch() {
  for (let i = 0; i < 1e6; i++) s = add(s, i) | 0;
  batches += 1;
  if (%IsTurboFanFunction(add) || batches === 40) return console.log(JSON.stringify({ liftoff: %IsLiftoffFunction(add), turbofan: %IsTurboFanFunction(add), batches }));
  setImmediate(batch);
})();`;

async function wasmTier(flags: readonly string[]): Promise<{ liftoff: boolean; turbofan: boolean; batches: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--allow-natives-syntax', '-e', WASM_PROBE], { env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout.trim()) as { liftoff: boolean; turbofan: boolean; batches: number };
}

t.test(`on ${process.version} the flags keep WebAssembly in the baseline tier, which V8 leaves without them`, async (t) => {
  const [bare, flagged] = await Promise.all([wasmTier([]), wasmTier(SERVICE_NODE_FLAGS)]);
  t.same(flagged, { liftoff: true, turbofan: false, batches: 40 }, `with ${SERVICE_NODE_FLAGS.join(' ')}: still Liftoff after 40 million calls`);
  t.equal(bare.turbofan, true, `without flags it was optimized within ${bare.batches} million calls`);
});
