// Carriers are TCP connections the connector dials to the tunnel endpoint when the proxy asks on
// the tunnel session, presenting a single-use ticket (services/proxy/carrier-tickets.ts). A fake
// connector plays the connector's side by hand, so each way it can misbehave is tested: the ticket
// opens exactly one carrier; unknown, replayed or missing tickets get 401; a connector that refuses
// or never dials, or a carrier that dies before the answer, gives a 502 that says which while the
// tunnel stays registered; and carriers end with their tunnel.
import t, { type Test } from 'tap';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { serveCarrier, type TunnelRequest, type TunnelResponse } from '../services/connector/carrier-server.js';
import { silentLogger } from '../services/shared/logger.js';
import { dataPrefix, headFrame } from '../services/shared/carrier-frames.js';
import { CARRIER_DIAL_PATH, CARRIER_TICKET_HEADER, CARRIER_UPGRADE, TUNNEL_PATH } from '../services/shared/tunnel-protocol.js';
import { faultWorld, type FaultWorld } from './helpers/connector-process.js';
import { SUBACCOUNT_A } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';
import { expectError } from './helpers/expect-error.js';
import { dialTunnel, sendUpgrade } from './helpers/fake-connector.js';
import { proxyRequest } from './helpers/proxy-client.js';

const CREDENTIALS = { subaccount: SUBACCOUNT_A, locationID: '', cloudUser: 'cloud-user-a@example.com', cloudPassword: 'cloud-password-a', name: 'fake' };
const DEADLINE_MS = 15_000;
const RESET = (reason: string) => `Bad Gateway: the stream of this request through the SAP Cloud Connector tunnel was reset (${reason}); the tunnel itself is still connected`;

type CarrierAsk = { ticket: string; res: http2.Http2ServerResponse };

/** A fake connector's tunnel: serves HTTP/2 on the upgraded socket and hands each request for a carrier to the test. */
async function fakeTunnel(t: Test, w: FaultWorld, onAsk: (ask: CarrierAsk) => void): Promise<{ socket: net.Socket; session: http2.ServerHttp2Session }> {
  const socket = await dialTunnel(t, w.ports.tunnelPort, CREDENTIALS);
  const h2 = http2.createServer((req, res) => {
    if (req.method === 'POST' && req.url === CARRIER_DIAL_PATH) return onAsk({ ticket: String(req.headers[CARRIER_TICKET_HEADER]), res });
    res.writeHead(400).end();
  });
  const sessions = once(h2, 'session');
  h2.emit('connection', socket);
  socket.resume();
  const [session] = await sessions as [http2.ServerHttp2Session];
  t.teardown(() => session.destroy());
  return { socket, session };
}

/** Dials the tunnel endpoint as a carrier with `ticket` (none: without the header); resolves with the socket past the 101, or with the status line of a refusal. */
function dialCarrier(t: Test, port: number, ticket: string | undefined): Promise<{ socket: net.Socket; status: string }> {
  return sendUpgrade(t, port, `GET ${TUNNEL_PATH} HTTP/1.1\r\nHost: tunnel\r\nConnection: Upgrade\r\nUpgrade: ${CARRIER_UPGRADE}\r\n`
    + `${ticket === undefined ? '' : `${CARRIER_TICKET_HEADER}: ${ticket}\r\n`}`);
}

const hello = (w: FaultWorld) => beforeDeadline(proxyRequest(w.ports.httpPort, { url: 'http://virtualhost:3333/', token: w.token }), DEADLINE_MS, 'the answer');

t.test('a ticket opens exactly one carrier; unknown, replayed and missing tickets get 401', async (t) => {
  const w = await faultWorld(t);
  const served = (req: TunnelRequest, res: TunnelResponse) => res.end(`carried ${req.method} ${req.url} for ${req.headers.host}`);
  const tickets: string[] = [];
  await fakeTunnel(t, w, async ({ ticket, res }) => {
    tickets.push(ticket);
    const { socket, status } = await dialCarrier(t, w.ports.tunnelPort, ticket);
    t.equal(status, `HTTP/1.1 101 Switching Protocols`, 'the ticket the proxy sent opens a carrier');
    serveCarrier(socket, served, silentLogger());
    socket.resume();
    res.writeHead(204).end();
  });
  const first = await hello(w);
  t.equal(first.status, 200);
  t.equal(first.text(), 'carried GET / for virtualhost:3333', 'the request travelled on the carrier the fake connector dialled');
  t.equal((await hello(w)).status, 200, 'and the next one on the same carrier');
  t.equal(tickets.length, 1, 'one carrier was asked for');
  t.match(tickets[0], /^[A-Za-z0-9_-]{32}$/, 'a ticket of 24 random bytes');
  t.equal((await dialCarrier(t, w.ports.tunnelPort, tickets[0])).status, 'HTTP/1.1 401 Unauthorized', 'a used ticket opens nothing');
  t.equal((await dialCarrier(t, w.ports.tunnelPort, 'made-up-ticket')).status, 'HTTP/1.1 401 Unauthorized', 'nor one the proxy never issued');
  t.equal((await dialCarrier(t, w.ports.tunnelPort, undefined)).status, 'HTTP/1.1 401 Unauthorized', 'nor a carrier without a ticket');
  t.ok(w.log.lines.some((l) => l.msg === 'tunnel refused' && l.status === 401 && /carrier ticket/.test(String(l.reason))), 'the refusals are logged');
});

t.test('a connector that answers the request for a carrier with an error: 502 naming its answer, the tunnel stays', async (t) => {
  const w = await faultWorld(t);
  await fakeTunnel(t, w, ({ res }) => { res.writeHead(503, { 'content-type': 'text/plain' }).end('no carriers today\n'); });
  expectError(t, await hello(w), 502, 'SCC_TUNNEL_STREAM_RESET', RESET('the Cloud Connector refused a carrier: 503 no carriers today'));
  t.equal(w.proxy.registry.get(SUBACCOUNT_A, '')?.connectorName, 'fake', 'the tunnel is still registered');
});

t.test('a connector that never dials: 502 once the dial deadline has passed', async (t) => {
  const w = await faultWorld(t, { proxy: { tunnelPingTimeoutMs: 300, tunnelSettingsTimeoutMs: 400 } });
  await fakeTunnel(t, w, () => {});
  expectError(t, await hello(w), 502, 'SCC_TUNNEL_STREAM_RESET', RESET('the Cloud Connector did not dial a carrier within 700 ms'));
});

t.test('a carrier that closes before the answer on a live tunnel: 502 saying so, not "connection lost"', async (t) => {
  const w = await faultWorld(t);
  await fakeTunnel(t, w, async ({ ticket, res }) => {
    const { socket } = await dialCarrier(t, w.ports.tunnelPort, ticket);
    socket.once('data', () => socket.destroy()); // the request arrives; no answer
    socket.resume();
    res.writeHead(204).end();
  });
  expectError(t, await hello(w), 502, 'SCC_TUNNEL_STREAM_RESET', RESET('the carrier connection closed before the answer'));
  t.equal(w.proxy.registry.get(SUBACCOUNT_A, '')?.connectorName, 'fake', 'the tunnel answered its PING and is still registered');
});

const BROKEN_ANSWERS: [string, Buffer, string][] = [
  ['HTTP/1.1 instead of frames', Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 'frame type 72 is not one of HEAD, DATA, END, WINDOW, RESET'],
  ['a status outside 200-599', headFrame(1, [101, []]), 'an answer head that is not [status 200-599, [name, value, …]]'],
  ['body bytes before the head', Buffer.concat([dataPrefix(1, 2), Buffer.from('ok')]), 'body bytes outside an answer'],
  ['two heads', Buffer.concat([headFrame(1, [200, []]), headFrame(1, [200, []])]), 'an answer head outside an exchange'],
];
const answerCut = /response aborted|socket hang up|ECONNRESET/;

for (const [name, answer, why] of BROKEN_ANSWERS) {
  t.test(`a connector that answers on its carrier with ${name}: 502 naming it, the proxy and the tunnel stay`, async (t) => {
    const w = await faultWorld(t);
    await fakeTunnel(t, w, async ({ ticket, res }) => {
      const { socket } = await dialCarrier(t, w.ports.tunnelPort, ticket);
      socket.once('data', () => socket.write(answer));
      socket.resume();
      res.writeHead(204).end();
    });
    const logged = w.log.waitFor((l) => typeof l.err?.message === 'string' && l.err.message.includes(why));
    // Two heads: the first one was forwarded already, so the client sees the answer cut instead of an error answer.
    if (name === 'two heads') await t.rejects(hello(w), answerCut, 'the answer is cut');
    else expectError(t, await hello(w), 502, 'SCC_TUNNEL_STREAM_RESET', RESET(`the Cloud Connector broke the carrier protocol: ${why}`));
    t.ok(await logged, 'the proxy logged why');
    t.equal(w.proxy.registry.get(SUBACCOUNT_A, '')?.connectorName, 'fake', 'the tunnel is still registered');
  });
}

t.test('carriers end with their tunnel', async (t) => {
  const w = await faultWorld(t);
  let carrier: net.Socket | undefined;
  const served = (_req: TunnelRequest, res: TunnelResponse) => res.end('ok');
  const { socket } = await fakeTunnel(t, w, async ({ ticket, res }) => {
    carrier = (await dialCarrier(t, w.ports.tunnelPort, ticket)).socket;
    serveCarrier(carrier, served, silentLogger());
    carrier.resume();
    res.writeHead(204).end();
  });
  t.equal((await hello(w)).status, 200);
  t.ok(carrier && !carrier.destroyed, 'the carrier is open');
  const closed = once(carrier!, 'close');
  const gone = once(w.proxy.registry, 'disconnected');
  socket.destroy();
  await beforeDeadline(gone, DEADLINE_MS, 'the tunnel is dropped');
  await beforeDeadline(closed, DEADLINE_MS, 'the proxy closes the carrier');
  t.pass('the carrier was closed when its tunnel ended');
});
