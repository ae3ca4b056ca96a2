// The admin server's event stream GET /api/monitoring/events (server-sent events, what the admin
// pages' live monitor reads), at the HTTP level with config/examples/two-locations.yaml in
// memory: behind Basic auth; `event: request` carries exactly the monitor's fields, and never a
// token, a header or the query string; `event: tunnel` follows disconnect and connect; the
// subaccount filter; a closed stream stops being fed.
import t from 'tap';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage } from 'node:http';
import { parse } from 'yaml';
import { startSimulator } from '../src/simulator.js';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { proxyRequest } from './helpers/proxy-client.js';

const file = fileURLToPath(new URL('../../config/examples/two-locations.yaml', import.meta.url));
const sim = await startSimulator(parse(readFileSync(file, 'utf8')));
t.teardown(() => sim.close());
const token = await sim.token();
const subaccount = sim.credentials.subaccount;
const REGION = 'cf.sim.hana.ondemand.com';
const endpoint = sim.admin.walldorf;

interface SseEvent { event: string; data: any; raw: string }

/** An open event stream: its response, and the next event (of a kind) as a promise. */
async function openStream(query = '', auth: string | false = `${endpoint.user}:${endpoint.password}`) {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (auth !== false) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    https.get(`${endpoint.url}/api/monitoring/events${query}`, { headers, ca: readFileSync(endpoint.caFile), agent: false }, resolve).on('error', reject);
  });
  res.setEncoding('utf8');
  let buffer = '';
  let text = '';
  const queue: SseEvent[] = [];
  const waiting: Array<{ kind: string; resolve: (e: SseEvent) => void }> = [];
  const deliver = () => {
    for (const w of [...waiting]) {
      const i = queue.findIndex((e) => e.event === w.kind);
      if (i >= 0) { waiting.splice(waiting.indexOf(w), 1); w.resolve(queue.splice(i, 1)[0]); }
    }
  };
  res.on('data', (chunk: string) => {
    text += chunk;
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = block.split('\n').filter((l) => !l.startsWith(':'));
      const event = fields.find((l) => l.startsWith('event: '))?.slice(7);
      const data = fields.find((l) => l.startsWith('data: '))?.slice(6);
      if (event !== undefined && data !== undefined) queue.push({ event, data: JSON.parse(data), raw: block });
    }
    deliver();
  });
  return {
    res,
    text: () => text,
    next: (kind: string) => new Promise<SseEvent>((resolve) => { waiting.push({ kind, resolve }); deliver(); }),
    close: () => new Promise<void>((resolve) => { res.once('close', () => resolve()); res.destroy(); }),
  };
}

t.test('without or with wrong credentials the stream is 401', async (t) => {
  for (const auth of [false, `${endpoint.user}:nope`] as const) {
    const s = await openStream('', auth);
    t.equal(s.res.statusCode, 401);
    t.match(s.res.headers['www-authenticate'], /^Basic /);
    await s.close();
  }
});

t.test('a request through the proxy arrives as `event: request` with the monitor\'s fields, and no token, header or query', async (t) => {
  const s = await openStream();
  t.equal(s.res.statusCode, 200);
  t.match(s.res.headers['content-type'], /^text\/event-stream/);
  t.equal(s.res.headers['cache-control'], 'no-store');
  const arrived = s.next('request');
  const secret = 'query-secret-4711';
  const res = await proxyRequest(sim.ports.httpPort, {
    url: `http://virtualhost:3333/echo/seen?token=${secret}`, token, location: 'WALLDORF',
    headers: { authorization: 'Basic c2VjcmV0OnNlY3JldA==', cookie: 'session=cookie-secret' },
  });
  t.equal(res.status, 200);
  const e = await arrived;
  t.same(Object.keys(e.data).sort(), ['locationID', 'regionHost', 'request', 'subaccount']);
  t.match(e.data, { regionHost: REGION, subaccount, locationID: 'WALLDORF' });
  t.match(e.data.request, { protocol: 'HTTP', method: 'GET', virtualHost: 'virtualhost', virtualPort: 3333, path: '/echo/seen', status: 200, decision: 'allowed', rule: '/ (path and sub-paths)' });
  t.type(e.data.request.durationMs, 'number');
  t.ok(e.data.request.time <= Date.now() && e.data.request.time > Date.now() - 60_000, 'time is epoch ms');
  for (const leak of [token, secret, 'c2VjcmV0OnNlY3JldA', 'cookie-secret', 'Bearer']) t.notOk(s.text().includes(leak), `the stream never carries ${leak.slice(0, 12)}…`);
  const rest = await adminClient(endpoint).get(`/api/monitoring/mostRecentRequests?regionHost=${REGION}&subaccount=${subaccount}`);
  t.same(rest.json().subaccounts[0].requests[0], e.data.request, 'the same entry GET /api/monitoring/mostRecentRequests lists');

  const denied = s.next('request');
  await adminClient(endpoint).put(`${subaccountPath({ regionHost: REGION, subaccount })}/systemMappings/virtualhost:3333/resources/-`, { enabled: false });
  t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo', token, location: 'WALLDORF' })).status, 403);
  t.match((await denied).data.request, { status: 403, decision: 'denied', rule: /suspended/ }, 'a denied request too, with why');
  await adminClient(endpoint).put(`${subaccountPath({ regionHost: REGION, subaccount })}/systemMappings/virtualhost:3333/resources/-`, { enabled: true });
  await s.close();
});

t.test('`event: tunnel` follows a disconnect and a connect', async (t) => {
  const s = await openStream();
  const state = `${subaccountPath({ regionHost: REGION, subaccount })}/state`;
  const down = s.next('tunnel');
  t.equal((await adminClient(endpoint).put(state, { connected: false })).status, 204);
  t.same((await down).data, { regionHost: REGION, subaccount, locationID: 'WALLDORF', state: 'Disconnected', connectedSince: 0 });
  const up = s.next('tunnel');
  t.equal((await adminClient(endpoint).put(state, { connected: true })).status, 204);
  const e = (await up).data;
  t.match(e, { state: 'Connected', locationID: 'WALLDORF' });
  t.ok(e.connectedSince > 0 && e.connectedSince <= Date.now(), 'with connected-since');
  await s.close();
});

t.test('?regionHost=&subaccount= narrows the stream to one subaccount', async (t) => {
  const other = await openStream(`?regionHost=${REGION}&subaccount=someone-else`);
  const mine = await openStream(`?regionHost=${REGION}&subaccount=${subaccount}`);
  const all = await openStream();
  const gotMine = mine.next('request');
  const gotAll = all.next('request');
  await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/filtered', token, location: 'WALLDORF' });
  t.equal((await gotMine).data.request.path, '/echo/filtered');
  t.equal((await gotAll).data.request.path, '/echo/filtered');
  // Absence, waited for on events: once the matching stream has had this subaccount's request and
  // two tunnel events (sent to every stream in the same turn), the other one must still have none.
  const mineTunnel = mine.next('tunnel');
  await adminClient(endpoint).put(`${subaccountPath({ regionHost: REGION, subaccount })}/state`, { connected: false });
  await mineTunnel;
  await adminClient(endpoint).put(`${subaccountPath({ regionHost: REGION, subaccount })}/state`, { connected: true });
  await mine.next('tunnel');
  t.notMatch(other.text(), /event:/, 'the stream for another subaccount got no event');
  for (const s of [other, mine, all]) await s.close();
});
