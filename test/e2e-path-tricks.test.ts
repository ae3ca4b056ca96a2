// Path tricks against the resource check, through every hop. The only resource is `/echo/public`
// (path and sub-paths; `/echo/…` because that is where the backend echoes what arrived). Each trick
// is either refused (400/403) or, when allowed, reaches the backend with a path under
// `/echo/public`; and no request of this file ever reaches any other backend path.
import t, { type Test } from 'tap';
import { startSimulator } from '../src/simulator.js';
import { mapping, world } from './helpers/configs.js';
import { proxyRequest, type ProxyResponse } from './helpers/proxy-client.js';

const ALLOWED = '/echo/public';
const sim = await startSimulator(world({ mappings: [mapping({ resources: [{ id: ALLOWED, exactMatchOnly: false }] })] }));
t.teardown(() => sim.close());
const token = await sim.token();

/** Every raw URL that reached the backend. */
const arrived: string[] = [];
sim.backends.hello!.server.on('request', (req) => arrived.push(req.url ?? ''));

function send(pathAndQuery: string): Promise<ProxyResponse> {
  return proxyRequest(sim.ports.httpPort, { url: `http://virtualhost:3333${pathAndQuery}`, token });
}

/** Refused, or allowed with the backend seeing a clean path under /echo/public. */
function expectContained(t: Test, res: ProxyResponse): void {
  if (res.status === 200) {
    const echo = res.json();
    t.ok(echo.path === ALLOWED || echo.path.startsWith(`${ALLOWED}/`), `the backend got a path under ${ALLOWED}: ${echo.path}`);
    t.notMatch(echo.path, /(^|\/)\.\.?(\/|;|$)|%2f|%5c|\\|\/\//i, 'and no dot segment, encoded slash, backslash or empty segment');
  } else {
    t.ok(res.status === 400 || res.status === 403, `refused with 400 or 403 (got ${res.status})`);
    t.ok(['SCC_BAD_PATH', 'SCC_ACCESS_DENIED_RESOURCE'].includes(String(res.headers['x-internal-error-code'])),
      `by the resource check (${res.headers['x-internal-error-code']})`);
  }
}

const TRICKS: Array<[string, string]> = [
  ['/echo/public/../secret', 'a plain dot-dot segment'],
  ['/echo/public/%2e%2e/secret', 'a lower-case encoded dot-dot'],
  ['/echo/public/%2E%2E/secret', 'an upper-case encoded dot-dot'],
  ['/echo/public/.%2e/secret', 'a half-encoded dot-dot'],
  ['/echo/public%2f..%2fsecret', 'encoded slashes around a dot-dot'],
  ['/echo/public/..%2fsecret', 'a dot-dot followed by an encoded slash'],
  ['//echo/public/../secret', 'a leading double slash and a dot-dot'],
  ['/echo//public/../../secret', 'a double slash inside and two dot-dots'],
  ['/echo/public\\..\\secret', 'backslashes as separators'],
  ['/echo/public/%5c..%5csecret', 'encoded backslashes as separators'],
  ['/echo/PUBLIC', 'another case'],
  ['/echo/public/..;/secret', 'a dot-dot with a path parameter (Tomcat)'],
  ['/echo/public/./../secret', 'a dot segment before a dot-dot'],
  ['/echo/public/%00/../../secret', 'an encoded NUL'],
];

for (const [path, what] of TRICKS) {
  t.test(`contains ${what}: ${path}`, async (t) => {
    expectContained(t, await send(path));
  });
}

t.test('denies an escape to /echo/secret with the resource answer', async (t) => {
  const res = await send('/echo/public/../secret');
  t.equal(res.status, 403);
  t.equal(res.headers['x-internal-error-code'], 'SCC_ACCESS_DENIED_RESOURCE');
});

t.test('forwards the normalised path when a dot-dot stays inside the resource', async (t) => {
  const res = await send('/echo/public/x/%2e%2e/y');
  t.equal(res.status, 200);
  t.equal(res.json().path, '/echo/public/y');
});

t.test('allows a query string that looks like a dot-dot path and passes it on intact', async (t) => {
  const res = await send('/echo/public?x=/../secret');
  t.equal(res.status, 200);
  const echo = res.json();
  t.equal(echo.path, ALLOWED);
  t.equal(echo.query, 'x=/../secret');
});

t.test('allows /echo/publicity because sub-paths are a plain string prefix, as in the SCC', async (t) => {
  const res = await send('/echo/publicity');
  t.equal(res.status, 200);
  t.equal(res.json().path, '/echo/publicity');
});

t.test('no request of this file reached a backend path outside /echo/public', async (t) => {
  for (const url of arrived) t.ok(url.startsWith(ALLOWED), `arrived: ${url}`);
  t.same(arrived, ['/echo/public/y', '/echo/public?x=/../secret', '/echo/publicity'], 'exactly the allowed requests arrived');
});
