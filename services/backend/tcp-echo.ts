// An on-premise TCP system for SOCKS5 tests: echoes every byte back and half-closes when the
// client does, so relays can be checked byte for byte and end to end.
import net from 'node:net';
import type { Logger } from '../shared/logger.js';

export function createTcpEchoServer(logger: Logger): net.Server {
  return net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on('error', (err) => logger.debug({ err }, 'tcp-echo socket error'));
    socket.pipe(socket);
  });
}
