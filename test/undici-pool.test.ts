// services/shared/undici-pool.ts loads Pool and buildConnector from undici's own modules, not its
// index (which loads fetch, WebSocket, caches …). These must be the classes the index exports: an
// undici release that moves or replaces them must fail here, not in a running service.
import t from 'tap';
import * as undici from 'undici';
import { Pool, buildConnector } from '../services/shared/undici-pool.js';

t.equal(Pool, undici.Pool, 'Pool is undici\'s Pool');
t.equal(buildConnector, undici.buildConnector, 'buildConnector is undici\'s buildConnector');
t.type(new Pool('http://127.0.0.1:1').dispatch, 'function', 'a Pool can be made and dispatches');
