// Runs cockpit-firefox.check.ts (the cockpit in headless Firefox) in a plain node process: under
// tap's TypeScript loader, puppeteer's Firefox (WebDriver BiDi) code fails to load — the loader's
// resolver maps chromium-bidi's `./lib/cjs/*` export to `BidiMapper.js.js`. Its TAP output is
// shown when it fails.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firefoxAvailable } from './helpers/headless-firefox.js';

const check = fileURLToPath(new URL('./cockpit-firefox.check.js', import.meta.url));

if (!firefoxAvailable()) {
  t.plan(0, 'no Firefox at /usr/bin/firefox (SCC_SIM_FIREFOX)');
} else {
  t.test('the cockpit works in headless Firefox', async (t) => {
    const child = spawn(process.execPath, ['--enable-source-maps', check], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    t.equal(code, 0, `cockpit-firefox.check.js passed${code === 0 ? '' : `:\n${output}`}`);
    t.equal(output.match(/^ok \d+ - Firefox: /gm)?.length, 3, 'its three tests ran and passed');
    t.notMatch(output, /^not ok/m, 'none failed');
  });
}
