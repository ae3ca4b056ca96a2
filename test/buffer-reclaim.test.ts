// The read buffers of streamed bodies are freed as they go (services/shared/buffer-reclaim.ts):
// the `scc-sim` command hands V8's gc to the carriers without a node flag, and a body moved
// through the path ends in one minor GC per RECLAIM_BYTES of it at each carrier end — seen in
// V8's own --trace-gc lines of a real `scc-sim up` (a gc() call is a scavenge for "testing").
import t from 'tap';
import { execFile } from 'node:child_process';
import { runInNewContext } from 'node:vm';
import { promisify } from 'node:util';
import { RECLAIM_BYTES, carrierBytesMoved, reclaimBuffersWith } from '../services/shared/buffer-reclaim.js';
import { minorGc } from '../src/minor-gc.js';
import { runCli, startCli } from './helpers/cli-process.js';
import { configWithFreePorts } from './helpers/free-port-config.js';

const exec = promisify(execFile);

t.test('a minor GC after every RECLAIM_BYTES of body, none before', async (t) => {
  const calls: unknown[] = [];
  reclaimBuffersWith((options) => { calls.push(options); });
  t.teardown(() => reclaimBuffersWith(() => {}));
  const chunk = 64 * 1024;
  for (let moved = chunk; moved < RECLAIM_BYTES; moved += chunk) carrierBytesMoved(chunk);
  t.equal(calls.length, 0, 'nothing until RECLAIM_BYTES moved');
  carrierBytesMoved(chunk);
  t.same(calls, [{ type: 'minor' }], 'one minor GC at RECLAIM_BYTES');
  for (let i = 0; i < (3 * RECLAIM_BYTES) / chunk; i++) carrierBytesMoved(chunk);
  t.equal(calls.length, 4, 'then one per RECLAIM_BYTES');
});

t.test('minorGc() gives a working gc and leaves no gc global behind', async (t) => {
  const gc = minorGc();
  t.type(gc, 'function', 'V8 gave its gc function');
  t.doesNotThrow(() => gc!({ type: 'minor' }), 'it runs a minor GC');
  t.equal((globalThis as { gc?: unknown }).gc, undefined, 'no gc in the main context');
  t.equal(runInNewContext('typeof gc'), 'undefined', 'nor in a context made later');
});

t.test('scc-sim up: a 40 MiB download ends in one minor GC per 8 MiB at each carrier end', async (t) => {
  const { file, httpPort } = await configWithFreePorts(t);
  const up = startCli(t, ['up', '--config', file], {}, ['--trace-gc']);
  await up.waitFor(/scc-sim is up/);
  const token = (await runCli(['token', '--config', file])).stdout.trim();
  const bytes = 40 * 1024 * 1024;
  const { stdout } = await exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '-x', `http://127.0.0.1:${httpPort}`,
    '--proxy-header', `Proxy-Authorization: Bearer ${token}`, `http://virtualhost:3333/bytes/${bytes}`]);
  t.equal(stdout, `200 ${bytes}`, 'the body arrived whole');
  // V8 prints its trace through C stdio, which holds a pipe's lines until exit: counted after it.
  t.equal(await up.stop('SIGTERM'), 0, 'up exits 0');
  const ran = up.output().split('\n').filter((l) => /Scavenge.*\btesting\b/.test(l)).length;
  // Proxy and connector run in this one process: each carrier end counts the 40 MiB, 80 MiB in all
  // (and the two request and answer heads); nothing else moved a body, and nothing else calls gc.
  t.equal(ran, Math.floor((2 * bytes) / RECLAIM_BYTES), `${ran} minor GCs for 2 × ${bytes} bytes moved`);
});
