// The deterministic byte pattern of the backend's large bodies: byte i = i % 251. A prime period
// means a shifted, dropped or duplicated chunk changes the digest, so tests anywhere can compare
// a body against `patternSha256(n)` without keeping the bytes.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export const PATTERN_PERIOD = 251;
export const PATTERN_CHUNK_SIZE = 64 * 1024;

/** One period-aligned block long enough that any chunk is a slice of it: chunk at offset o = BLOCK[o % 251 ...]. */
const BLOCK = Buffer.alloc(PATTERN_CHUNK_SIZE + PATTERN_PERIOD);
for (let i = 0; i < BLOCK.length; i += 1) BLOCK[i] = i % PATTERN_PERIOD;

/** The bytes [offset, offset + length) of the pattern; length ≤ PATTERN_CHUNK_SIZE. Shared memory: do not mutate. */
function slice(offset: number, length: number): Buffer {
  const start = offset % PATTERN_PERIOD;
  return BLOCK.subarray(start, start + length);
}

/**
 * A stream of the first `n` pattern bytes, in chunks of `chunkSize` (≤ 64 KiB), produced only as
 * fast as the consumer reads (one chunk per `read()`), so memory stays flat for any `n`.
 * Each chunk is a fresh copy: a consumer may mutate it (e.g. WebSocket masking) safely.
 */
export function patternStream(n: number, chunkSize = PATTERN_CHUNK_SIZE): Readable {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`pattern length must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > PATTERN_CHUNK_SIZE) {
    throw new RangeError(`pattern chunk size must be 1..${PATTERN_CHUNK_SIZE}, got ${chunkSize}`);
  }
  let offset = 0;
  return new Readable({
    highWaterMark: PATTERN_CHUNK_SIZE,
    read() {
      if (offset >= n) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkSize, n - offset);
      const chunk = Buffer.from(slice(offset, length));
      offset += length;
      this.push(chunk);
    },
  });
}

/** The sha256 (hex) of the first `n` pattern bytes — what a correct download of `patternStream(n)` hashes to. */
export function patternSha256(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`pattern length must be a non-negative integer, got ${n}`);
  const hash = createHash('sha256');
  for (let offset = 0; offset < n; offset += PATTERN_CHUNK_SIZE) {
    hash.update(slice(offset, Math.min(PATTERN_CHUNK_SIZE, n - offset)));
  }
  return hash.digest('hex');
}
