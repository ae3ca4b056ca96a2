// The live-traffic feed keeps only the last N events, oldest first, and emits each; the decision
// header the connector sends round-trips any rule text and ignores what is not one.
import t from 'tap';
import { TrafficFeed, type TrafficRecord } from '../services/proxy/traffic-feed.js';
import { decisionValue, readDecision } from '../services/shared/tunnel-protocol.js';

const rec = (path: string): TrafficRecord => ({
  time: Date.now(), protocol: 'HTTP', method: 'GET', locationId: '', path, verdict: 'allowed', rule: '', status: 200, durationMs: 1,
});

t.test('keeps the last N events, oldest first, with increasing ids', async (t) => {
  const feed = new TrafficFeed(3);
  const emitted: number[] = [];
  feed.on('traffic', (e) => emitted.push(e.id));
  for (const p of ['/1', '/2', '/3', '/4', '/5']) feed.record(rec(p));
  t.same(feed.recent().map((e) => e.path), ['/3', '/4', '/5']);
  t.same(feed.recent().map((e) => e.id), [3, 4, 5]);
  t.same(emitted, [1, 2, 3, 4, 5], 'every event is emitted');
});

t.test('fewer events than the capacity come back as they are', async (t) => {
  const feed = new TrafficFeed(10);
  feed.record(rec('/a'));
  feed.record(rec('/b'));
  t.same(feed.recent().map((e) => e.path), ['/a', '/b']);
});

t.test('the decision header round-trips rules with spaces, brackets, arrows and non-ASCII', async (t) => {
  for (const rule of ['/ (path and sub-paths)', 'TCP tcphost:4444 → 127.0.0.1:1', 'no resource of system straße:80 matches /ä [x]', '']) {
    const value = decisionValue('resource-denied', rule);
    t.match(value, /^[\x21-\x7e ]+$/, `${JSON.stringify(rule)}: the value is plain ASCII`);
    t.same(readDecision(value), { verdict: 'resource-denied', rule });
  }
});

t.test('what is not a decision is ignored', async (t) => {
  for (const v of [undefined, ['allowed x'], 'forged', 'admin %2F', '']) t.equal(readDecision(v as any), undefined, JSON.stringify(v));
  t.same(readDecision('allowed %E0%A4%A'), { verdict: 'allowed', rule: '%E0%A4%A' }, 'a broken encoding is kept as it came');
});
