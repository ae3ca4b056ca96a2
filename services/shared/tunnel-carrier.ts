// What both tunnel ends do to an HTTP/2 stream before it carries bytes of its own (a SOCKS5 TCP
// connection, or a WebSocket upgrade once the backend switched protocols): every write reaches
// the stream as ONE Buffer.
//
// Node 20's Http2Stream loses data handed to it in one writev of several chunks: string chunks
// (the status line Node's HTTP server writes, the request head undici writes) arrived as garbage
// bytes at once; Buffer chunks, under load (1,000 concurrent connections through the proxy, in 3
// of 5 bench runs), arrived as freed memory — malloc's free-list pointers where the status line and
// the body should be. Node 22 showed neither. So strings become Buffers in JS (decodeStrings), and
// a writev is one concatenated Buffer (six runs of the same load, no error; the copy costs only
// when the Writable had several chunks queued).
import type { Http2Stream } from 'node:http2';

type Chunk = { chunk: Buffer };
type WritableInternals = {
  _writableState: { decodeStrings: boolean };
  _write: (chunk: Buffer, encoding: string, cb: (err?: Error | null) => void) => void;
  _writev: ((chunks: Chunk[], cb: (err?: Error | null) => void) => void) | null;
};

export function carrierWrites(stream: Http2Stream): void {
  const s = stream as unknown as WritableInternals;
  s._writableState.decodeStrings = true;
  const write = s._write;
  s._writev = function writev(chunks, cb) {
    write.call(this, chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), 'buffer', cb);
  };
}
