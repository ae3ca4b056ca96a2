// TCP over the tunnel, connector side: a CONNECT stream for a TCP/TCPS system mapping becomes a
// connection to the internal host (TLS for TCPS), relayed both ways with half-closes. The answer
// to the proxy is the CONNECT status: 200 connected, 502 backend unreachable, 504 too slow.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { constants as h2c, type ServerHttp2Stream } from 'node:http2';
import type { SystemMapping } from '../shared/config-schema.js';
import type { Logger } from '../shared/logger.js';
import { DECISION_HEADER } from '../shared/tunnel-protocol.js';
import { carrierWrites } from '../shared/tunnel-carrier.js';

/** The internal port for a virtual port: ranges map offset by offset (`low-high` on both sides). */
export function internalPort(mapping: SystemMapping, virtualPort: number): number {
  const [vLow] = String(mapping.virtualPort).split('-').map(Number);
  const [lLow, lHigh = lLow] = String(mapping.localPort).split('-').map(Number);
  return lHigh === lLow ? lLow : lLow + (virtualPort - vLow);
}

/** `decision`: the DECISION_HEADER value sent with the 200 (tunnel-protocol.ts). */
export function forwardTcp(stream: ServerHttp2Stream, mapping: SystemMapping, virtualPort: number, log: Logger, decision?: string): Promise<number> {
  const port = internalPort(mapping, virtualPort);
  const host = mapping.localHost;
  return new Promise((resolve) => {
    let connected = false;
    const socket: net.Socket = mapping.protocol === 'TCPS'
      ? tls.connect({
        host, port, allowHalfOpen: true, servername: net.isIP(host) ? undefined : host,
        ca: mapping.caFile ? readFileSync(mapping.caFile) : undefined, rejectUnauthorized: !mapping.trustAll,
      } as tls.ConnectionOptions)
      : net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), mapping.timeoutMs);
    socket.once(mapping.protocol === 'TCPS' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      connected = true;
      if (stream.destroyed) return void socket.destroy();
      carrierWrites(stream);
      stream.respond(decision === undefined ? { ':status': 200 } : { ':status': 200, [DECISION_HEADER]: decision });
      stream.pipe(socket);
      socket.pipe(stream);
      resolve(200);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected) {
        const status = err.code === 'ETIMEDOUT' ? 504 : 502;
        log.warn({ err: { code: err.code, message: err.message }, localHost: host, localPort: port }, 'cannot open the TCP connection to the backend');
        if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': status }, { endStream: true });
        resolve(status);
      } else if (!stream.destroyed) {
        stream.close(h2c.NGHTTP2_CONNECT_ERROR);
      }
    });
    socket.on('close', () => { if (connected && !stream.destroyed && !stream.writableEnded) stream.close(h2c.NGHTTP2_CONNECT_ERROR); });
    stream.on('error', () => socket.destroy());
    stream.on('close', () => {
      if (!connected) {
        // The proxy gave up (client gone) while we were still connecting: 499, as nginx logs it.
        clearTimeout(timer);
        socket.destroy();
        resolve(499);
      } else if (!socket.destroyed && (stream.rstCode ?? 0) !== h2c.NGHTTP2_NO_ERROR) {
        socket.destroy();
      }
    });
  });
}
