// The carrier's frame reader (services/shared/carrier-frames.ts), the one hand-written parser on
// the request path: frames come out the same, each with its exchange, however the bytes are cut; a
// body is handed on as it arrives (never gathered); and no input — random bytes, oversized heads,
// unknown types, control frames of the wrong size — makes it throw; it names what is wrong and
// reads nothing more.
import t from 'tap';
import { FrameReader, MAX_HEAD_BYTES, dataPrefix, endFrame, headFrame, parseHead, resetFrame, windowFrame, type FrameSink } from '../services/shared/carrier-frames.js';

type Event = ['head', number, unknown] | ['data', number, Buffer] | ['end', number] | ['window', number, number] | ['reset', number];

/** A sink that records what the reader delivered, DATA slices of one frame joined. */
function recorder(): { sink: FrameSink; events: Event[]; slices: number } {
  const r = { events: [] as Event[], slices: 0, sink: undefined as unknown as FrameSink };
  let joining = false;
  r.sink = {
    head: (x, p) => { joining = false; r.events.push(['head', x, parseHead(p)]); },
    data: (x, c) => {
      r.slices += 1;
      const last = r.events[r.events.length - 1];
      if (joining && last?.[0] === 'data' && last[1] === x) last[2] = Buffer.concat([last[2], c]);
      else r.events.push(['data', x, Buffer.from(c)]);
      joining = true;
    },
    end: (x) => { joining = false; r.events.push(['end', x]); },
    window: (x, n) => { joining = false; r.events.push(['window', x, n]); },
    reset: (x) => { joining = false; r.events.push(['reset', x]); },
  };
  return r;
}

/** A small seeded PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random frames and the events they must give (a DATA frame of 0 bytes gives none). */
function randomFrames(rand: () => number): { bytes: Buffer; expected: Event[] } {
  const parts: Buffer[] = [];
  const expected: Event[] = [];
  const n = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) {
    const kind = rand();
    // Exchange numbers from 1 to past 2^31 (all four bytes in use).
    const x = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 0xfffffffe));
    if (kind < 0.25) {
      const head = [Math.floor(rand() * 400) + 200, ['x-n', String(i), 'x-é', 'ü'.repeat(Math.floor(rand() * 5))]];
      parts.push(headFrame(x, head));
      expected.push(['head', x, head]);
    } else if (kind < 0.7) {
      const data = Buffer.alloc(Math.floor(rand() * 3000), i);
      parts.push(dataPrefix(x, data.length), data);
      if (data.length > 0) expected.push(['data', x, data]);
    } else if (kind < 0.8) {
      parts.push(endFrame(x));
      expected.push(['end', x]);
    } else if (kind < 0.9) {
      const n = Math.floor(rand() * 0x100000000);
      parts.push(windowFrame(x, n));
      expected.push(['window', x, n]);
    } else {
      parts.push(resetFrame(x));
      expected.push(['reset', x]);
    }
  }
  return { bytes: Buffer.concat(parts), expected };
}

/** `bytes` cut at random places. */
function randomCuts(rand: () => number, bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 4000));
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** Adjacent DATA events of one exchange joined: how the frames' bodies read, whatever the frame boundaries. */
function bodies(events: Event[]): Event[] {
  const out: Event[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e[0] === 'data' && last?.[0] === 'data' && last[1] === e[1]) last[2] = Buffer.concat([last[2], e[2]]);
    else out.push(e[0] === 'data' ? ['data', e[1], Buffer.from(e[2])] : e);
  }
  return out;
}

t.test('a stream cut before every byte gives the same frames', async (t) => {
  const head = [200, ['content-type', 'text/plain', 'set-cookie', 'a=1']];
  const bytes = Buffer.concat([headFrame(1, head), dataPrefix(1, 5), Buffer.from('hello'), windowFrame(2, 65536), endFrame(1),
    headFrame(0x01020304, ['GET', '/x', {}, false]), resetFrame(2)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const r = recorder();
    const reader = new FrameReader(r.sink);
    t.equal(reader.push(bytes.subarray(0, cut)), undefined);
    t.equal(reader.push(bytes.subarray(cut)), undefined);
    t.same(r.events, [['head', 1, head], ['data', 1, Buffer.from('hello')], ['window', 2, 65536], ['end', 1],
      ['head', 0x01020304, ['GET', '/x', {}, false]], ['reset', 2]], `cut at ${cut}`);
  }
});

t.test('2,000 random frame sequences, randomly cut, give exactly their frames', async (t) => {
  let failures = 0;
  for (let seed = 1; seed <= 2000; seed++) {
    const rand = prng(seed);
    const { bytes, expected } = randomFrames(rand);
    const r = recorder();
    const reader = new FrameReader(r.sink);
    let wrong: string | undefined;
    for (const c of randomCuts(rand, bytes)) wrong ??= reader.push(c);
    if (wrong !== undefined || JSON.stringify(bodies(r.events)) !== JSON.stringify(bodies(expected))) {
      failures += 1;
      if (failures < 5) t.fail(`seed ${seed}: ${wrong ?? 'the frames differ'}`);
    }
  }
  t.equal(failures, 0, 'every sequence read back as written');
});

t.test('a body is handed on as it arrives, never gathered', async (t) => {
  const r = recorder();
  const reader = new FrameReader(r.sink);
  const size = 8 * 1024 * 1024;
  reader.push(dataPrefix(1, size));
  const chunk = Buffer.alloc(64 * 1024, 7);
  for (let sent = 0; sent < size; sent += chunk.length) {
    reader.push(chunk);
    if (r.slices !== (sent + chunk.length) / chunk.length) return t.fail('a chunk was held back');
  }
  t.equal(r.slices, size / chunk.length, 'one slice per chunk, each delivered when it came');
  reader.push(endFrame(1));
  t.same(r.events.map((e) => e[0]), ['data', 'end']);
});

t.test('what is not a frame is named, and nothing after it is read', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['an unknown type', Buffer.concat([Buffer.from([9]), u32(1), u32(0)]), /frame type 9 is not one of HEAD, DATA, END, WINDOW, RESET/],
    ['type 0', Buffer.concat([Buffer.from([0]), u32(1), u32(1), Buffer.from('A')]), /frame type 0/],
    ['exchange 0', Buffer.concat([Buffer.from([1]), u32(0), u32(2), Buffer.from('[]')]), /a frame for exchange 0/],
    ['an END with payload', Buffer.concat([Buffer.from([3]), u32(1), u32(1), Buffer.from('A')]), /an END frame with 1 bytes of payload/],
    ['a RESET with payload', Buffer.concat([Buffer.from([5]), u32(1), u32(2), Buffer.from('AB')]), /a RESET frame with 2 bytes of payload/],
    ['a WINDOW of 3 bytes', Buffer.concat([Buffer.from([4]), u32(1), u32(3), Buffer.from('ABC')]), /a WINDOW frame with 3 bytes of payload \(it has 4\)/],
    ['a head over the limit', Buffer.concat([Buffer.from([1]), u32(1), u32(MAX_HEAD_BYTES + 1)]), new RegExp(`a head of ${MAX_HEAD_BYTES + 1} bytes \\(at most ${MAX_HEAD_BYTES}\\)`)],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /frame type 71/],
  ];
  for (const [name, bytes, why] of cases) {
    const r = recorder();
    const reader = new FrameReader(r.sink);
    t.match(reader.push(Buffer.concat([bytes, headFrame(1, [1])])), why, name);
    t.equal(reader.push(headFrame(2, [2])), undefined, `${name}: later bytes are ignored`);
    t.same(r.events, [], `${name}: nothing delivered`);
  }
  t.equal(new FrameReader(recorder().sink).push(Buffer.concat([Buffer.from([1]), u32(1), u32(MAX_HEAD_BYTES)])), undefined, 'a head of exactly the limit is taken');
});

t.test('10,000 chunks of random bytes never make the reader throw', async (t) => {
  const rand = prng(42);
  let errors = 0;
  let heads = 0;
  for (let i = 0; i < 10_000; i++) {
    // Half pure noise, half frame-shaped: a type near the real ones, a short length, random payload.
    const bytes = Buffer.alloc(1 + Math.floor(rand() * 200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    if (i % 2 === 0 && bytes.length >= 9) {
      bytes[0] = Math.floor(rand() * 7);
      bytes.writeUInt32BE(Math.floor(rand() * 3), 1);
      bytes.writeUInt32BE(Math.floor(rand() * bytes.length), 5);
    }
    const reader = new FrameReader({ head: (_x, p) => { heads += 1; parseHead(p); }, data: () => {}, end: () => {}, window: () => {}, reset: () => {} });
    try {
      if (reader.push(bytes) !== undefined) errors += 1;
    } catch (err) {
      return t.fail(`threw on ${bytes.toString('hex')}: ${(err as Error).message}`);
    }
  }
  t.ok(errors > 0 && heads > 0, `garbage was refused (${errors}) and some of it read as heads (${heads}), without a throw`);
  t.equal(parseHead(Buffer.from('{not json')), undefined, 'an unreadable head is undefined, not an exception');
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
