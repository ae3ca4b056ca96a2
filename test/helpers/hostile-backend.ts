// A backend that breaks HTTP on purpose: a raw TCP server that reads each request head and hands
// the socket to the scenario its path names (`GET /status-999` → scenarios['/status-999']). Request
// bodies are skipped (Content-Length or chunked); a kept-alive socket gets the same treatment for
// its next request head. Every socket and timer it opened is gone at teardown.
import net from 'node:net';
import { once } from 'node:events';

export type Scenario = (socket: net.Socket, every: (ms: number, fn: () => void) => void) => void;

interface Teardown { teardown(fn: () => unknown): void }

export async function hostileBackend(t: Teardown, scenarios: Record<string, Scenario>): Promise<{ port: number; heads: string[] }> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const heads: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    /** Bytes of the current request body still to skip (a number), or a chunked body ('chunked'). */
    let body: number | 'chunked' = 0;
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        if (body === 'chunked') {
          const end = buf.indexOf('0\r\n\r\n');
          if (end < 0) return;
          buf = buf.slice(end + 5);
          body = 0;
        } else if (body > 0) {
          const skip = Math.min(body, buf.length);
          buf = buf.slice(skip);
          body -= skip;
          if (body > 0) return;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        heads.push(head);
        if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = 'chunked';
        else body = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const path = head.split(' ')[1] ?? '';
        const scenario = scenarios[path];
        if (!scenario) socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
        else scenario(socket, (ms, fn) => {
          const timer = setInterval(() => { if (socket.destroyed) clearInterval(timer); else fn(); }, ms);
          timers.add(timer);
        });
      }
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const timer of timers) clearInterval(timer);
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as net.AddressInfo).port, heads };
}
