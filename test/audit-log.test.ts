// Audit entries for access control per level: OFF nothing, SECURITY denials, ALL both (SCC §4.5).
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createAuditLog, type AuditLogLevel } from '../services/connector/audit-log.js';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info', base: undefined, timestamp: false }, stream), lines };
}

function auditLog(level: AuditLogLevel) {
  const { logger, lines } = capture();
  const audit = createAuditLog({ level, logger, connector: 'scc-1', subaccount: 'sub-a', locationID: 'loc1' });
  return { audit, lines };
}

const DENIED = { virtualHost: 'virtualhost', virtualPort: 3333, path: '/secret', method: 'GET', reason: 'no resource matches', user: 'alice' };
const ALLOWED = { virtualHost: 'virtualhost', virtualPort: 3333, path: '/public', method: 'POST' };

const DENIED_LINE = {
  level: 30, audit: true, connector: 'scc-1', subaccount: 'sub-a', locationID: 'loc1',
  category: 'AccessControl', event: 'Access Denied',
  virtualHost: 'virtualhost', virtualPort: 3333, path: '/secret', method: 'GET', reason: 'no resource matches', user: 'alice',
  msg: 'Access Denied: GET http://virtualhost:3333/secret',
};
const ALLOWED_LINE = {
  level: 30, audit: true, connector: 'scc-1', subaccount: 'sub-a', locationID: 'loc1',
  category: 'AccessControl', event: 'Access Allowed',
  virtualHost: 'virtualhost', virtualPort: 3333, path: '/public', method: 'POST',
  msg: 'Access Allowed: POST http://virtualhost:3333/public',
};

t.test('level OFF writes nothing', async (t) => {
  const { audit, lines } = auditLog('OFF');
  audit.accessDenied(DENIED);
  audit.accessAllowed(ALLOWED);
  t.same(lines, []);
});

t.test('level SECURITY writes only "Access Denied"', async (t) => {
  const { audit, lines } = auditLog('SECURITY');
  audit.accessAllowed(ALLOWED);
  audit.accessDenied(DENIED);
  t.strictSame(lines, [DENIED_LINE]);
});

t.test('level ALL writes "Access Allowed" and "Access Denied" in order', async (t) => {
  const { audit, lines } = auditLog('ALL');
  audit.accessAllowed(ALLOWED);
  audit.accessDenied(DENIED);
  t.strictSame(lines, [ALLOWED_LINE, DENIED_LINE]);
});

t.test('an entry carries only the audit fields, nothing else the caller put on it', async (t) => {
  const { audit, lines } = auditLog('ALL');
  audit.accessAllowed({ ...ALLOWED, headers: { authorization: 'Bearer secret' } } as typeof ALLOWED);
  t.strictSame(lines, [ALLOWED_LINE]);
});
