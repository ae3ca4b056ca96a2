// The connector's carrier read pools (services/connector/carrier-reads.ts) on a real socket with
// net's onread: every chunk a read gave is kept, uncopied, to the end and must still hold its
// bytes (a pool is never written over); small reads share a pool; a body's reads get 64 KiB.
import t from 'tap';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { CarrierReads } from '../services/connector/carrier-reads.js';

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

t.test('chunks stay intact, small reads share pools, bulk reads take 64 KiB', async (t) => {
  const ROUNDS = 300;
  const small = (i: number) => pattern(100 + (i % 7) * 40, i);
  const bulk = pattern(4 * 1024 * 1024, 99);
  // Ping-pong: each small answer is its own read; then one 4 MiB answer, read as it streams.
  const server = net.createServer((s) => {
    let asked = 0;
    s.on('data', (d) => {
      for (const _ of d) {
        asked += 1;
        s.write(asked <= ROUNDS ? small(asked - 1) : bulk);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());

  const reads = new CarrierReads();
  const chunks: Buffer[] = [];
  let got = 0;
  let waiting: (() => void) | undefined;
  const client = net.connect({
    host: '127.0.0.1', port: (server.address() as AddressInfo).port,
    onread: { buffer: reads.next, callback: (n, into) => { chunks.push(reads.took(n, into)); got += n; waiting?.(); return true; } },
  });
  t.teardown(() => client.destroy());
  await once(client, 'connect');
  const until = (bytes: number) => new Promise<void>((resolve) => {
    const check = () => { if (got >= bytes) { waiting = undefined; resolve(); } };
    waiting = check;
    check();
  });

  let expected = 0;
  for (let i = 0; i < ROUNDS; i++) {
    expected += small(i).length;
    client.write('?');
    await until(expected);
  }
  const smallChunks = chunks.length;
  const smallPools = new Set(chunks.map((c) => c.buffer)).size;
  t.equal(smallChunks, ROUNDS, 'each small answer came as one read');
  t.ok(smallPools <= Math.ceil(expected / (15 * 1024)) + 1, `${ROUNDS} small reads (${expected} bytes) in ${smallPools} pools`);

  client.write('!');
  await until(expected + bulk.length);
  const bulkChunks = chunks.slice(smallChunks);
  const largest = Math.max(...bulkChunks.map((c) => c.length));
  t.ok(largest > 16 * 1024 && largest <= 64 * 1024, `a body's reads take up to 64 KiB (largest ${largest})`);

  const sent = Buffer.concat([...Array.from({ length: ROUNDS }, (_, i) => small(i)), bulk]);
  t.ok(Buffer.concat(chunks).equals(sent), `all ${chunks.length} chunks still hold the bytes they were read with`);
});
