// The Destination service (find destination, list and read endpoints, authTokens per
// Authentication type, 401 and 404 answers) against a real startSimulator() over HTTP.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { instanceGuid } from '../services/shared/service-instance.js';
import { NOT_FOUND_MESSAGE } from '../services/destination/destination-service.js';
import { startSimulator, type Simulator } from '../src/simulator.js';
import { CLIENT_A, DESTINATION_CLIENT_A, SUBACCOUNT_A, SUBACCOUNT_B, world } from './helpers/configs.js';

const DESTINATION_CLIENT_B = 'sb-clone-e2e-b-dest!b4|destination-xsappname!b9';
const onPrem = (Name: string, more: Record<string, string> = {}) =>
  ({ Name, Type: 'HTTP', URL: 'http://virtualhost:3333', ProxyType: 'OnPremise', ...more });

function destinationWorld() {
  const w = world() as any;
  const [a, b] = w.subaccounts;
  a.destinations = [
    onPrem('ONPREM', { Authentication: 'NoAuthentication', 'sap-client': '100' }),
    onPrem('BASIC', { Authentication: 'BasicAuthentication', User: 'alice', Password: 's3cret:pw' }),
    onPrem('PP', { Authentication: 'PrincipalPropagation', CloudConnectorLocationId: 'loc1' }),
    onPrem('TECH', { Authentication: 'OAuth2TechnicalUserPropagation' }),
    onPrem('TECH_CLIENT', { Authentication: 'OAuth2TechnicalUserPropagation', clientId: CLIENT_A, clientSecret: 'secret-a' }),
    onPrem('TECH_BAD', { Authentication: 'OAuth2TechnicalUserPropagation', clientId: CLIENT_A, clientSecret: 'wrong' }),
    onPrem('SHARED', { Description: 'subaccount-level' }),
  ];
  a.clients[1].instanceDestinations = [onPrem('SHARED', { Description: 'instance-level' }), onPrem('INSTANCE_ONLY')];
  b.clients.push({ clientid: DESTINATION_CLIENT_B, clientsecret: 'secret-b-dest', service: 'destination' });
  b.destinations = [onPrem('B_ONLY')];
  return w;
}

async function get(sim: Simulator, path: string, token?: string) {
  const res = await fetch(`${sim.urls.tokenService}/destination-configuration/v1${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, headers: res.headers, body: await res.json() as any };
}

t.test('the Destination service', async (t) => {
  const sim = await startSimulator(destinationWorld());
  t.teardown(() => sim.close());
  const token = await sim.token(DESTINATION_CLIENT_A);
  const find = (name: string, query = '') => get(sim, `/destinations/${name}${query}`, token);

  t.test('finds an instance destination before the subaccount destination of the same name', async (t) => {
    const { status, body } = await find('SHARED');
    t.equal(status, 200);
    t.same(body.owner, { SubaccountId: SUBACCOUNT_A, InstanceId: instanceGuid(DESTINATION_CLIENT_A) });
    t.equal(body.destinationConfiguration.Description, 'instance-level');
  });

  t.test('falls back to the subaccount destination, owned by the subaccount with InstanceId null', async (t) => {
    const { status, body } = await find('ONPREM');
    t.equal(status, 200);
    t.strictSame(body.owner, { SubaccountId: SUBACCOUNT_A, InstanceId: null });
    t.strictSame(body.destinationConfiguration, {
      Name: 'ONPREM', Type: 'HTTP', URL: 'http://virtualhost:3333', ProxyType: 'OnPremise',
      Authentication: 'NoAuthentication', 'sap-client': '100',
    });
  });

  t.test('gives NoAuthentication and PrincipalPropagation destinations no authTokens', async (t) => {
    t.notOk('authTokens' in (await find('ONPREM')).body);
    const pp = (await find('PP')).body;
    t.notOk('authTokens' in pp);
    t.equal(pp.destinationConfiguration.CloudConnectorLocationId, 'loc1');
  });

  t.test('gives a BasicAuthentication destination a Basic token of User:Password', async (t) => {
    const b64 = Buffer.from('alice:s3cret:pw').toString('base64');
    t.strictSame((await find('BASIC')).body.authTokens, [
      { type: 'Basic', value: b64, http_header: { key: 'Authorization', value: `Basic ${b64}` } },
    ]);
  });

  t.test('gives OAuth2TechnicalUserPropagation a connectivity token in SAP-Connectivity-Technical-Authentication', async (t) => {
    const [tok] = (await find('TECH')).body.authTokens;
    t.equal(tok.type, 'Bearer');
    t.same(tok.http_header, { key: 'SAP-Connectivity-Technical-Authentication', value: `Bearer ${tok.value}` });
    t.match(tok.expires_in, /^[1-9][0-9]*$/);
    const decision = await sim.proxy.verifier.verify(tok.value);
    t.has(decision, { ok: true, clientId: CLIENT_A, subaccount: SUBACCOUNT_A });
  });

  t.test('issues the technical user token for the destination\'s clientId, or says why it cannot', async (t) => {
    const [tok] = (await find('TECH_CLIENT')).body.authTokens;
    t.has(await sim.proxy.verifier.verify(tok.value), { ok: true, clientId: CLIENT_A });
    const [bad] = (await find('TECH_BAD')).body.authTokens;
    t.equal(bad.type, '');
    t.equal(bad.value, '');
    t.match(bad.error, /refused client .*invalid_client/);
  });

  t.test('leaves authTokens out with $skipTokenRetrieval=true', async (t) => {
    const { status, body } = await find('BASIC', '?$skipTokenRetrieval=true');
    t.equal(status, 200);
    t.notOk('authTokens' in body);
    t.equal(body.destinationConfiguration.User, 'alice');
  });

  t.test('answers an unknown name with 404 and SAP\'s exact text', async (t) => {
    for (const path of ['/destinations/NOPE', '/subaccountDestinations/NOPE', '/instanceDestinations/NOPE', '/instanceDestinations/ONPREM']) {
      const { status, body } = await get(sim, path, token);
      t.equal(status, 404, path);
      t.strictSame(body, { ErrorMessage: 'Configuration with the specified name was not found' }, path);
    }
    t.equal(NOT_FOUND_MESSAGE, 'Configuration with the specified name was not found');
  });

  t.test('lists and reads subaccount and instance destinations as bare objects', async (t) => {
    const sub = await get(sim, '/subaccountDestinations', token);
    t.same(sub.body.map((d: any) => d.Name), ['ONPREM', 'BASIC', 'PP', 'TECH', 'TECH_CLIENT', 'TECH_BAD', 'SHARED']);
    const inst = await get(sim, '/instanceDestinations', token);
    t.same(inst.body.map((d: any) => d.Name), ['SHARED', 'INSTANCE_ONLY']);
    const one = await get(sim, '/subaccountDestinations/SHARED', token);
    t.equal(one.body.Description, 'subaccount-level');
    t.notOk('owner' in one.body);
    t.equal((await get(sim, '/instanceDestinations/SHARED', token)).body.Description, 'instance-level');
  });

  t.test('shows a destination client only the destinations of its own subaccount', async (t) => {
    const tokenB = await sim.token(DESTINATION_CLIENT_B);
    t.equal((await get(sim, '/destinations/ONPREM', tokenB)).status, 404);
    const { body } = await get(sim, '/destinations/B_ONLY', tokenB);
    t.strictSame(body.owner, { SubaccountId: SUBACCOUNT_B, InstanceId: null });
    t.same((await get(sim, '/subaccountDestinations', tokenB)).body.map((d: any) => d.Name), ['B_ONLY']);
  });

  t.test('refuses a call without a Bearer token with 401', async (t) => {
    const { status, headers, body } = await get(sim, '/destinations/ONPREM');
    t.equal(status, 401);
    t.equal(headers.get('www-authenticate'), 'Bearer');
    t.match(body.ErrorMessage, /no Bearer token/);
  });

  t.test('refuses the token of a connectivity client with 401', async (t) => {
    const { status, body } = await get(sim, '/destinations/ONPREM', await sim.token(CLIENT_A));
    t.equal(status, 401);
    t.match(body.ErrorMessage, `client ${CLIENT_A} is not allowed to use the destination service (it is a connectivity client)`);
  });

  t.test('refuses a forged token signed with another key with 401', async (t) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT({ client_id: DESTINATION_CLIENT_A, zid: SUBACCOUNT_A, ext_attr: { subaccountid: SUBACCOUNT_A } })
      .setProtectedHeader({ alg: 'RS256', kid: sim.proxy.keys.kid })
      .setIssuer(`${sim.urls.tokenService}/oauth/token`).setExpirationTime('1h').sign(privateKey);
    const { status, body } = await get(sim, '/destinations/ONPREM', forged);
    t.equal(status, 401);
    t.match(body.ErrorMessage, /signature/);
  });
});
