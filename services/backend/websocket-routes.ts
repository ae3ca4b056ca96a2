// The backend's WebSocket routes, on the fastify server's 'upgrade' event (the `ws` library):
// `/ws/echo` sends every message back as it came (text as text, binary as binary), `/ws/headers`
// sends one JSON message describing the upgrade request as it arrived (method, path, headers),
// then echoes too. Any other upgrade is answered 404. Closing the app ends every WebSocket at once,
// as a killed process would (Node's closeAllConnections does not see upgraded sockets).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';

/** Larger than any message a test sends (16 MiB), bounded so a client cannot make the backend buffer without limit. */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024 * 1024;

const ROUTES = new Set(['/ws/echo', '/ws/headers']);

export function addWebSocketRoutes(app: FastifyInstance, name: string): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!ROUTES.has(path)) {
      const body = `no WebSocket route ${path} (routes: ${[...ROUTES].join(', ')})\n`;
      socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    // handleUpgrade answers 400 itself for a request that is not a valid WebSocket handshake.
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (path === '/ws/headers') {
        ws.send(JSON.stringify({ backend: name, method: req.method, path, query: q < 0 ? '' : url.slice(q + 1), url, headers: req.headers }));
      }
      echo(ws);
    });
  });
  // preClose: before the server closes, which would otherwise wait for these sockets forever.
  app.addHook('preClose', async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}

/** Every message back as it came; the peer's close is answered with the same code. */
function echo(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => ws.terminate());
}
