// The CLI as a user runs it: services started one by one find each other, `scc-sim token` and
// curl reach Hello World, a killed connector is noticed at once and a restarted one is served
// again without restarting the proxy; `scc-sim up` prints a curl line that works when pasted.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT, runCli, startCli } from './helpers/cli-process.js';
import { configWithFreePorts } from './helpers/free-port-config.js';

const exec = promisify(execFile);

async function curl(httpPort: number, token: string, url = 'http://virtualhost:3333/'): Promise<{ status: number; body: string }> {
  const { stdout } = await exec('curl', ['-s', '-w', '\n%{http_code}', '-x', `http://127.0.0.1:${httpPort}`,
    '--proxy-header', `Proxy-Authorization: Bearer ${token}`, url]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

t.test('services started one by one find each other, and a killed connector comes back', async (t) => {
  const { file, httpPort } = await configWithFreePorts(t);
  const backend = startCli(t, ['backend', '--config', file]);
  await backend.waitFor(/"backend":"mail".*backend listening/);
  t.match(backend.output(), /"backend":"hello"/, 'scc-sim backend without --name starts every backend of the file');
  const proxy = startCli(t, ['proxy', '--config', file]);
  await proxy.waitFor(/proxy service listening/);
  let connector = startCli(t, ['connector', '--config', file]);
  await connector.waitFor(/tunnel established/);

  const token = await runCli(['token', '--config', file]);
  t.equal(token.code, 0, token.stderr);
  const jwt = token.stdout.trim();
  t.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'scc-sim token prints a JWT');
  t.same(await curl(httpPort, jwt), { status: 200, body: 'Hello World!' });

  const killedAt = Date.now();
  await connector.stop('SIGKILL');
  let answer = await curl(httpPort, jwt);
  while (answer.status === 200 && Date.now() - killedAt < 1000) answer = await curl(httpPort, jwt);
  t.equal(answer.status, 503, 'the next request after the kill gets 503');
  t.ok(Date.now() - killedAt < 1000, `503 within one second (${Date.now() - killedAt} ms)`);
  t.match(answer.body, /There is no SAP Cloud Connector \(SCC\) connected to your subaccount/);
  await proxy.waitFor(/Cloud Connector disconnected/);

  connector = startCli(t, ['connector', '--config', file]);
  await connector.waitFor(/tunnel established/);
  t.same(await curl(httpPort, jwt), { status: 200, body: 'Hello World!' }, 'served again without restarting the proxy');

  t.equal(await connector.stop('SIGTERM'), 0, 'connector exits 0 on SIGTERM');
  t.equal(await proxy.stop('SIGINT'), 0, 'proxy exits 0 on SIGINT');
  t.equal(await backend.stop('SIGTERM'), 0, 'backend exits 0 on SIGTERM');
});

t.test('scc-sim up prints its endpoints and a curl line that prints Hello World! when pasted', async (t) => {
  const { file, httpPort } = await configWithFreePorts(t);
  const up = startCli(t, ['up', '--config', file]);
  await up.waitFor(/scc-sim is up/);
  const curlLine = (await up.waitFor(/^\s+curl -x/)).trim();
  t.match(up.output(), new RegExp(`HTTP proxy\\s+http://127\\.0\\.0\\.1:${httpPort}`));
  t.match(curlLine, `--config ${file}`);
  const { stdout } = await exec('bash', ['-c', curlLine], { cwd: REPO_ROOT });
  t.equal(stdout, 'Hello World!');
  t.equal(await up.stop('SIGTERM'), 0);
});

t.test('a connector that is not the only one must be named', async (t) => {
  const res = await runCli(['connector', '--config', 'config/examples/two-locations.yaml']);
  t.equal(res.code, 1);
  t.match(res.stderr, 'the config has 2 connectors (walldorf, berlin): choose one with --name');
});

t.test('unknown commands and --help', async (t) => {
  const bad = await runCli(['frobnicate']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, 'unknown command "frobnicate"');
  for (const cmd of ['up', 'proxy', 'connector', 'backend', 'check', 'token', 'schema']) {
    const help = await runCli([cmd, '--help']);
    t.equal(help.code, 0, `${cmd} --help exits 0`);
    t.match(help.stdout, `scc-sim ${cmd}`);
  }
});
