// A peer that dials the proxy's tunnel endpoint like a Cloud Connector and then does what the test
// wants with the upgraded socket: nothing at all (a peer that never speaks HTTP/2), or serve
// HTTP/2 with a handler of the test's. Closed at teardown.
import net from 'node:net';
import { once } from 'node:events';
import { HEADER_CONNECTOR, HEADER_LOCATION, HEADER_SUBACCOUNT, TUNNEL_PATH, TUNNEL_UPGRADE } from '../../services/shared/tunnel-protocol.js';

interface Teardown { teardown(fn: () => unknown): void }

export interface Credentials { subaccount: string; locationID: string; cloudUser: string; cloudPassword: string; name: string }

/** Sends an Upgrade request with `head` (the request line and header lines, CRLF-terminated) to `port`; resolves with the socket past the answer's head and that answer's status line. */
export async function sendUpgrade(t: Teardown, port: number, head: string): Promise<{ socket: net.Socket; status: string }> {
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(`${head}\r\n`);
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      if (buf.length > end + 4) socket.unshift(buf.subarray(end + 4));
      resolve({ socket, status: buf.subarray(0, buf.indexOf('\r\n')).toString('latin1') });
    };
    socket.on('data', onData);
  });
}

/** Completes the Upgrade on `port` and resolves with the socket, past the 101; rejects on any other answer. */
export async function dialTunnel(t: Teardown, port: number, c: Credentials): Promise<net.Socket> {
  const { socket, status } = await sendUpgrade(t, port, `GET ${TUNNEL_PATH} HTTP/1.1\r\nHost: tunnel\r\nConnection: Upgrade\r\nUpgrade: ${TUNNEL_UPGRADE}\r\n`
    + `Authorization: Basic ${Buffer.from(`${c.cloudUser}:${c.cloudPassword}`).toString('base64')}\r\n`
    + `${HEADER_SUBACCOUNT}: ${c.subaccount}\r\n${HEADER_LOCATION}: ${encodeURIComponent(c.locationID)}\r\n${HEADER_CONNECTOR}: ${c.name}\r\n`);
  if (!status.startsWith('HTTP/1.1 101')) throw new Error(`the tunnel endpoint answered ${status}`);
  return socket;
}
