// Reads a server-sent event stream (the cockpit's /cockpit/events) over a real HTTP connection:
// every event parsed as it arrives, the raw text kept (to search it for secrets), and a wait for
// the first event that matches, bounded by a deadline (no sleeps).
import http, { type IncomingHttpHeaders } from 'node:http';

export interface ServerSentEvent {
  event: string;
  data: string;
  json<T = any>(): T;
}

export interface EventStreamClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every byte received so far, as text. */
  raw(): string;
  events: ServerSentEvent[];
  /** The first event (already received or yet to come) for which `match` is true. */
  waitFor(match: (e: ServerSentEvent) => boolean, timeoutMs?: number, what?: string): Promise<ServerSentEvent>;
  /** Resolves once the raw text (comments included) contains `text`. */
  waitForText(text: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function openEventStream(url: string): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      let raw = '';
      let pending = '';
      const events: ServerSentEvent[] = [];
      const textWaiters = new Set<{ text: string; done: () => void }>();
      const waiters = new Set<{ match: (e: ServerSentEvent) => boolean; done: (e: ServerSentEvent) => void }>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        for (const w of [...textWaiters]) if (raw.includes(w.text)) { textWaiters.delete(w); w.done(); }
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          const text = data.join('\n');
          const e: ServerSentEvent = { event, data: text, json: () => JSON.parse(text) };
          events.push(e);
          for (const w of [...waiters]) if (w.match(e)) { waiters.delete(w); w.done(e); }
        }
      });
      const closed = new Promise<void>((r) => res.once('close', () => r()));
      resolve({
        status: res.statusCode!, headers: res.headers, events, raw: () => raw,
        waitFor(match, timeoutMs = 5000, what = 'an event') {
          const seen = events.find(match);
          if (seen) return Promise.resolve(seen);
          return new Promise((done, fail) => {
            const timer = setTimeout(() => { waiters.delete(w); fail(new Error(`no ${what} within ${timeoutMs} ms`)); }, timeoutMs);
            const w = { match, done: (e: ServerSentEvent) => { clearTimeout(timer); done(e); } };
            waiters.add(w);
          });
        },
        waitForText(text, timeoutMs = 5000) {
          if (raw.includes(text)) return Promise.resolve();
          return new Promise((done, fail) => {
            const timer = setTimeout(() => { textWaiters.delete(w); fail(new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms`)); }, timeoutMs);
            const w = { text, done: () => { clearTimeout(timer); done(); } };
            textWaiters.add(w);
          });
        },
        async close() {
          req.destroy();
          await closed;
        },
      });
    });
    req.on('error', reject);
  });
}
