// TCP over the tunnel, proxy side: an HTTP/2 CONNECT stream to the connector, whose answer maps
// to the SOCKS5 reply codes of the contract (§2.2).
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { REP, type ConnectResult } from './socks5-server.js';
import type { Tunnel } from './tunnel-registry.js';
import { DECISION_HEADER, readDecision } from '../shared/tunnel-protocol.js';
import { carrierWrites } from '../shared/tunnel-carrier.js';

const REP_FOR_STATUS: Record<number, number> = { 403: REP.FORBIDDEN, 502: REP.HOST_UNREACHABLE, 504: REP.HOST_UNREACHABLE };

export function openTcpOverTunnel(tunnel: Tunnel, host: string, port: number): Promise<ConnectResult> {
  const connector = tunnel.connectorName;
  return new Promise((resolve) => {
    let stream: ClientHttp2Stream;
    try {
      stream = tunnel.session.request({ ':method': 'CONNECT', ':authority': `${host}:${port}` });
      carrierWrites(stream);
    } catch (err) {
      return resolve({ ok: false, rep: REP.FAILURE, reason: `cannot open a stream on the tunnel: ${(err as Error).message}`, connector });
    }
    const early = (why: string) => resolve({ ok: false, rep: REP.FAILURE, reason: why, connector });
    stream.once('error', (err) => early(`tunnel stream failed: ${err.message}`));
    stream.once('close', () => early('the tunnel stream closed before an answer'));
    stream.once('response', (h: IncomingHttpHeaders) => {
      const status = Number(h[':status']);
      const decision = readDecision(h[DECISION_HEADER]);
      if (status === 200) return resolve({ ok: true, stream, connector, rule: decision?.rule });
      stream.close();
      resolve({
        ok: false, rep: REP_FOR_STATUS[status] ?? REP.FAILURE, reason: `the Cloud Connector answered ${status}${decision ? `: ${decision.rule}` : ''}`,
        connector, status, verdict: decision?.verdict,
      });
    });
  });
}
