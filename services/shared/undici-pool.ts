// undici's Pool and buildConnector — the only parts of undici the proxy (tunnel-pool.ts) and the
// connector (forward-targets.ts) use — loaded from their own modules. undici's index also loads
// fetch, WebSocket, EventSource, the cache and the mock agents: 110 modules and ~21 MB of RSS in
// each process, against ~11 MB for these two (measured: `node -e` importing either, Node 20), and
// issue 10 wants each service under 150 MB. undici has no `exports` map, so these paths are
// reachable; test/undici-pool.test.ts checks they are the very classes undici's index exports, so
// an undici release that moves them fails the suite instead of the services.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
export type Pool = Undici.Pool;
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
