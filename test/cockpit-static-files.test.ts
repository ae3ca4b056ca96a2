// The cockpit's static files are found from the compiled code (dist/ has none: tsc copies no
// HTML) and both Docker images copy them to where dist/ looks; the event stream's heartbeat
// comment arrives on an idle stream.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { publicDir } from '../services/cockpit/cockpit-page.js';
import { registerEventStream } from '../services/cockpit/event-stream.js';
import { TrafficFeed } from '../services/proxy/traffic-feed.js';
import { TunnelRegistry } from '../services/proxy/tunnel-registry.js';
import { openEventStream } from './helpers/event-stream-client.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

t.test('run from dist/, the page is served from <package root>/services/cockpit/public', async (t) => {
  t.equal(publicDir(), `${join(ROOT, 'services/cockpit/public')}/`);
  for (const f of ['index.html', 'cockpit.js', 'cockpit.css']) t.ok(existsSync(join(publicDir(), f)), f);
});

t.test('both Docker images copy the static folder to that place, and CI stages it', async (t) => {
  for (const f of ['Dockerfile', '.ci/Dockerfile']) {
    t.match(readFileSync(join(ROOT, f), 'utf8'), /^COPY services\/cockpit\/public \.\/services\/cockpit\/public$/m, f);
  }
  t.match(readFileSync(join(ROOT, '.ci/product-image'), 'utf8'), /cp -R services\/cockpit\/public "\$ctx\/services\/cockpit\/public"/);
});

t.test('an idle event stream gets heartbeat comments', async (t) => {
  const app = Fastify({ forceCloseConnections: true });
  registerEventStream(app, { view: () => ({ subaccounts: [] }), registry: new TunnelRegistry(), traffic: new TrafficFeed(), heartbeatMs: 20 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const stream = await openEventStream(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/cockpit/events`);
  t.teardown(() => stream.close());
  await stream.waitFor((e) => e.event === 'status', 2000, 'status');
  await stream.waitForText(': heartbeat\n\n', 2000);
  t.match(stream.raw(), /^event: status\ndata: \{"subaccounts":\[\]\}\n\n(: heartbeat\n\n)+$/);
});
