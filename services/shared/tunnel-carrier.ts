// What both ends do to an HTTP/2 stream before it carries HTTP/1.1 (a tunnel carrier,
// tunnel-protocol.ts): strings written to it are turned into Buffers first.
//
// Node 20's Http2Stream corrupts string chunks given to it in one writev (the status line Node's
// HTTP server writes, the request head undici writes, arrive as garbage bytes; Node 22 is fine):
// with decodeStrings the Writable converts them in JS, and the stream only ever sees Buffers.
import type { Http2Stream } from 'node:http2';

export function carrierWrites(stream: Http2Stream): void {
  (stream as unknown as { _writableState: { decodeStrings: boolean } })._writableState.decodeStrings = true;
}
