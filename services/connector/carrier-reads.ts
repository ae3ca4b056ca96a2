// Where a carrier socket the connector dials reads into (net's `onread`, tunnel-client.ts): its
// reads land one after another in a pool, so a chunk a read gave is never written over (the
// frame reader and a request body keep it without a copy) and a small read costs no allocation.
// Node's own reads allocate 64 KiB for each one and shrink it to the bytes read, and push them
// through a Readable stream (events, buffering and two process.nextTick calls per read): the one
// hop of the carrier that is ours to read (the proxy's end comes from its HTTP server).
//
// Pools are SMALL while reads are small (request heads: 16 KiB hold ~50 of them) and BULK once a
// read filled what it was given (a body streams: each read may take 64 KiB, as Node's would).

const SMALL = 16 * 1024;
const BULK = 64 * 1024;
/** A pool with less room than this is left for a new one. */
const LEAST = 1024;

export class CarrierReads {
  #pool = Buffer.allocUnsafe(SMALL);
  #at = 0;

  /** net's onread.buffer: where the next read goes. */
  readonly next = (): Buffer => {
    if (this.#pool.length - this.#at < LEAST) this.#fresh(SMALL);
    return this.#pool.subarray(this.#at);
  };

  /** The `n` bytes a read put into `into` (what next() returned), as a chunk of their own. */
  took(n: number, into: Uint8Array): Buffer {
    const chunk = this.#pool.subarray(this.#at, this.#at + n);
    this.#at += n;
    if (n === into.length) this.#fresh(BULK);
    return chunk;
  }

  #fresh(size: number): void {
    this.#pool = Buffer.allocUnsafe(size);
    this.#at = 0;
  }
}
