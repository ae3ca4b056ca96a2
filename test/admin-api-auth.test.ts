// The admin API answers only with Basic auth, over HTTPS with a certificate of the simulator CA:
// wrong or missing credentials → 401 + WWW-Authenticate: Basic, for every path (unknown ones
// too); the password can be changed through the API and applies at once.
import t from 'tap';
import https from 'node:https';
import { once } from 'node:events';
import { startSimulator } from '../src/simulator.js';
import { adminClient, C } from './helpers/admin-client.js';
import { world } from './helpers/configs.js';

const sim = await startSimulator(world());
t.teardown(() => sim.close());
const endpoint = sim.admin['connector-a'];
const admin = adminClient(() => sim.admin['connector-a']);

t.test('the admin server speaks HTTPS with a certificate of the simulator CA', async (t) => {
  t.match(endpoint.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(endpoint.caFile, sim.caFile);
  t.same([endpoint.user, endpoint.password], ['Administrator', 'manage'], 'SAP\'s initial user and password');
  const untrusted = https.get(`${endpoint.url}/api/v1/connector/version`, { agent: false });
  const [err] = await once(untrusted, 'error');
  t.match((err as NodeJS.ErrnoException).code, /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/, 'a client that does not trust the CA refuses it');
  const ok = await admin.get('/api/v1/connector/version');
  t.equal(ok.status, 200, 'one that trusts the CA gets an answer');
});

t.test('without or with wrong credentials every path answers 401 with WWW-Authenticate: Basic', async (t) => {
  const paths = ['/api/v1/connector/version', `${C}/subaccounts`, '/exposed?action=ping', '/api/monitoring/subaccounts', '/no/such/path'];
  for (const auth of [false, 'Administrator:wrong', 'admin:manage', 'Administrator:', ':manage'] as const) {
    for (const path of paths) {
      const res = await admin.get(path, { auth });
      t.equal(res.status, 401, `${path} with ${auth === false ? 'no credentials' : JSON.stringify(auth)}`);
      t.match(res.headers['www-authenticate'], /^Basic realm="[^"]+"/);
      t.same(Object.keys(res.json()).sort(), ['message', 'type']);
    }
  }
  const malformed = await admin.get(`${C}/subaccounts`, { auth: false, headers: { authorization: 'Basic !!!' } });
  t.equal(malformed.status, 401, 'a malformed Authorization header too');
  const bearer = await admin.get(`${C}/subaccounts`, { auth: false, headers: { authorization: 'Bearer abc' } });
  t.equal(bearer.status, 401, 'and a Bearer token');
  const post = await admin.post(`${C}/subaccounts`, { subaccount: 'x' }, { auth: 'Administrator:wrong' });
  t.equal(post.status, 401, 'a change without credentials is refused before its body is looked at');
});

t.test('with the right credentials: version (Terraform\'s first call), ping, JSON answers with Cache-Control', async (t) => {
  const version = await admin.get('/api/v1/connector/version');
  t.same([version.status, version.json()], [200, { version: '2.19.0.2' }]);
  t.match(version.headers['content-type'], /^application\/json/);
  t.equal(version.headers['cache-control'], 'max-age=3600');
  const ping = await admin.get('/exposed?action=ping');
  t.equal(ping.status, 200);
  const list = await admin.get(`${C}/subaccounts`);
  t.equal(list.headers['cache-control'], 'no-store');
  const unknown = await admin.get('/api/v1/nothing/here');
  t.same([unknown.status, unknown.json().type], [404, 'NOT_FOUND']);
});

t.test('the connector\'s common properties: GET and PUT {ha, description}', async (t) => {
  t.same((await admin.get(`${C}/connector`)).json(), { ha: 'master', description: '' });
  const put = await admin.put(`${C}/connector`, { description: 'my connector' });
  t.same([put.status, put.json()], [200, { ha: 'master', description: 'my connector' }]);
  const bad = await admin.put(`${C}/connector`, { description: null });
  t.same([bad.status, bad.json().type], [400, 'INVALID_REQUEST'], 'description must be a string');
});

t.test('a password change applies at once: the old password is refused, the new one works', async (t) => {
  const wrongOld = await admin.put(`${C}/connector/authentication/basic`, { oldPassword: 'nope', newPassword: 'secret-2' });
  t.same([wrongOld.status, wrongOld.json().type], [400, 'INVALID_REQUEST']);
  const same = await admin.put(`${C}/connector/authentication/basic`, { oldPassword: 'manage', newPassword: 'manage' });
  t.equal(same.status, 400, 'the new password must differ');
  const changed = await admin.put(`${C}/connector/authentication/basic`, { oldPassword: 'manage', newPassword: 'secret-2' });
  t.equal(changed.status, 204);
  t.equal(sim.admin['connector-a'].password, 'secret-2', 'the handle knows the new password');
  t.equal((await admin.get(`${C}/subaccounts`, { auth: 'Administrator:manage' })).status, 401, 'the old one is refused');
  t.equal((await admin.get(`${C}/subaccounts`)).status, 200, 'the new one works');
  const entries = (await admin.get('/api/monitoring/auditLog')).json().entries;
  t.match(entries[0], { category: 'SCCPassword', user: 'Administrator' }, 'the change is in the audit log');
  t.notMatch(JSON.stringify(entries), 'secret-2', 'without the password');
  await admin.put(`${C}/connector/authentication/basic`, { oldPassword: 'secret-2', newPassword: 'manage' });
});
