// Regression (DEP0060): on Node 22 the connector printed "[DEP0060] DeprecationWarning: The
// `util._extend` API is deprecated" at its first forwarded request (http-proxy, its forwarder then, calls util._extend).
// CI runs this suite on Node 20 and on Node 22 (.ci/run), so this runs on both: `scc-sim up` as a
// user starts it (no NODE_OPTIONS, warnings on), a request through every service, and stderr must
// hold no DeprecationWarning.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { REPO_ROOT, startCli } from './helpers/cli-process.js';
import { configWithFreePorts } from './helpers/free-port-config.js';

const exec = promisify(execFile);
/** What Node prints for any deprecation: `(node:123) [DEP0060] DeprecationWarning: …`. */
const DEPRECATION = /DeprecationWarning|\[DEP\d{4}\]/;
/** As a user's shell has it: tap's NODE_OPTIONS (its loader) removed, warnings not silenced. */
const USER_ENV = { NODE_OPTIONS: '', NODE_NO_WARNINGS: '' };

t.test(`scc-sim up on Node ${process.version} prints no DeprecationWarning, at start or while it forwards a request`, async (t) => {
  const { file } = await configWithFreePorts(t);
  const up = startCli(t, ['up', '--config', file], USER_ENV);
  await up.waitFor(/scc-sim is up/);
  const curlLine = (await up.waitFor(/^\s+curl -x/)).trim();
  const { stdout } = await exec('bash', ['-c', curlLine], { cwd: REPO_ROOT });
  t.equal(stdout, 'Hello World!', 'the request went through the proxy, the connector and the backend');
  t.equal(await up.stop('SIGTERM'), 0, 'scc-sim up exits 0 on SIGTERM');
  t.notMatch(up.stderr(), DEPRECATION, `stderr has no DeprecationWarning${up.stderr() ? `:\n${up.stderr()}` : ''}`);
});

t.test(`the check sees a DeprecationWarning when Node ${process.version} prints one (new Buffer(), DEP0005)`, async (t) => {
  const child = spawn(process.execPath, ['-e', 'new Buffer(1)'], { env: { ...process.env, ...USER_ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  await once(child, 'close');
  t.match(stderr, DEPRECATION, 'a deprecated call in the same environment is seen on stderr');
});
