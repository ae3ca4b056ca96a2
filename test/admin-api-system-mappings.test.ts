// System mappings and their resources through the admin API, with the exact bodies the Terraform
// provider sends (string ports, string booleans, authenticationMode "", hostInHeader in any case)
// and the JSON types it insists on (ports and creationDate as strings, real booleans, counts as
// numbers); SAP's encoded resource IDs; 201 + Location, 204, 404, 409, 400 naming the field, and
// bodies that are not JSON, too large or of another content type.
import t from 'tap';
import { startSimulator } from '../src/simulator.js';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { SUBACCOUNT_A, world } from './helpers/configs.js';

const sim = await startSimulator(world());
t.teardown(() => sim.close());
const admin = adminClient(() => sim.admin['connector-a']);
const A = subaccountPath({ regionHost: 'cf.sim.hana.ondemand.com', subaccount: SUBACCOUNT_A });
const base = () => sim.admin['connector-a'].url;

// Terraform's create body (scc-rest-api.md §3.2), verbatim apart from the names.
const TF_MAPPING = { authenticationMode: '', backendType: 'abapSys', hostInHeader: 'internal', localHost: 'tfinternal', localPort: '900',
  protocol: 'HTTP', virtualHost: 'tfvirtual', virtualPort: '900' };

t.test('create as Terraform does: 201 + Location, empty body; the GET has SAP\'s types and defaults', async (t) => {
  const res = await admin.post(`${A}/systemMappings`, TF_MAPPING);
  t.equal(res.status, 201);
  t.equal(res.headers.location, `${base()}${A}/systemMappings/tfvirtual:900`);
  t.equal(res.text, '', 'no body');
  t.equal(res.headers['content-length'], '0');
  const m = (await admin.get(`${A}/systemMappings/tfvirtual:900`)).json();
  t.match(m, {
    virtualHost: 'tfvirtual', virtualPort: '900', localHost: 'tfinternal', localPort: '900', protocol: 'HTTP', backendType: 'abapSys',
    hostInHeader: 'INTERNAL', authenticationMode: 'NONE', sid: '', description: '', sapRouter: '', sncPartnerName: '',
    allowedClients: [], blacklistedUsers: [], totalResourcesCount: 0, enabledResourcesCount: 0,
    _links: { self: { href: `${base()}${A}/systemMappings/tfvirtual:900` }, resources: { href: `${base()}${A}/systemMappings/tfvirtual:900/resources` } },
  });
  t.match(m.creationDate, /^\d{13}$/, 'creationDate is a string of epoch ms');
  t.ok(Math.abs(Number(m.creationDate) - Date.now()) < 60_000);
  const list = (await admin.get(`${A}/systemMappings`)).json();
  t.same(list.map((x: any) => `${x.virtualHost}:${x.virtualPort}`), ['virtualhost:3333', 'tfvirtual:900']);
  t.type(list[0].virtualPort, 'string', 'also a port written as a number in the file is a string');
});

t.test('a duplicate is 409; a missing mapping is 404; bad fields are 400 naming the field', async (t) => {
  const dup = await admin.post(`${A}/systemMappings`, { ...TF_MAPPING, virtualHost: 'TFVIRTUAL' });
  t.same([dup.status, dup.json()], [409, { type: 'INVALID_CONFIGURATION', message: "System mapping with value 'TFVIRTUAL:900' already exists" }], 'host names compare without case');
  const missing = await admin.get(`${A}/systemMappings/nothing:1`);
  t.same([missing.status, missing.json()], [404, { type: 'NOT_FOUND', message: "System mapping with value 'nothing:1' does not exist" }]);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...TF_MAPPING, virtualHost: 'x1', surprise: 1 }, /^Unknown field 'surprise'$/],
    [{ ...TF_MAPPING, virtualHost: 'x2', virtualPort: true }, /virtualPort/],
    [{ ...TF_MAPPING, virtualHost: 'x3', localPort: 'ninety' }, /localPort/],
    [{ ...TF_MAPPING, virtualHost: 'x4', localHost: undefined }, /^Missing field 'localHost'$/],
    [{ ...TF_MAPPING, virtualHost: 'x5', protocol: 'RFC', hostInHeader: undefined }, /protocol RFC is not simulated/],
    [{ ...TF_MAPPING, virtualHost: 'x6', protocol: 'TCP' }, /^hostInHeader is not valid for TCP$/],
    [{ ...TF_MAPPING, virtualHost: 'x7', hostInHeader: 'sideways' }, /hostInHeader must be VIRTUAL or INTERNAL/],
    [{ ...TF_MAPPING, virtualHost: 'x8', backendType: 'mainframe' }, /^backendType: /],
    [{ ...TF_MAPPING, virtualHost: 'x9', authenticationMode: 'MAGIC' }, /^authenticationMode: /],
    [{ ...TF_MAPPING, virtualHost: 'x10', virtualPort: '70000' }, /virtualPort/],
    [{ ...TF_MAPPING, virtualHost: 'x11', sapRouter: '/H/router' }, /sapRouter is valid for RFC mappings only/],
  ];
  for (const [body, message] of cases) {
    const res = await admin.post(`${A}/systemMappings`, body);
    t.equal(res.status, 400, JSON.stringify(body));
    t.equal(res.json().type, 'INVALID_REQUEST');
    t.match(res.json().message, message);
  }
  t.equal((await admin.get(`${A}/systemMappings`)).json().length, 2, 'none of them was added');
});

t.test('replace (PUT): 204, fields replaced, creationDate kept; virtualHost/virtualPort cannot change', async (t) => {
  const created = (await admin.get(`${A}/systemMappings/tfvirtual:900`)).json().creationDate;
  const res = await admin.put(`${A}/systemMappings/tfvirtual:900`, { ...TF_MAPPING, localPort: '901', hostInHeader: 'VIRTUAL', authenticationMode: 'KERBEROS', description: 'kerberos' });
  t.equal(res.status, 204);
  t.match((await admin.get(`${A}/systemMappings/tfvirtual:900`)).json(), { localPort: '901', hostInHeader: 'VIRTUAL', authenticationMode: 'KERBEROS', description: 'kerberos', creationDate: created });
  const moved = await admin.put(`${A}/systemMappings/tfvirtual:900`, { ...TF_MAPPING, virtualPort: '901' });
  t.same([moved.status, moved.json().type], [400, 'INVALID_REQUEST']);
  const absent = await admin.put(`${A}/systemMappings/absent:1`, { ...TF_MAPPING, virtualHost: 'absent', virtualPort: '1' });
  t.equal(absent.status, 404);
});

t.test('resources: created with string booleans, a missing flag is false, read by SAP\'s encoded ID', async (t) => {
  const R = `${A}/systemMappings/tfvirtual:900/resources`;
  const res = await admin.post(R, { description: 'create resource', enabled: 'true', exactMatchOnly: 'false', id: '/', websocketUpgradeAllowed: 'false' });
  t.equal(res.status, 201);
  t.equal(res.headers.location, `${base()}${R}/-`);
  const r = (await admin.get(`${R}/-`)).json();
  t.match(r, { id: '/', enabled: true, exactMatchOnly: false, websocketUpgradeAllowed: false, description: 'create resource', _links: { self: { href: `${base()}${R}/-` } } });
  t.match(r.creationDate, /^\d{13}$/);
  t.equal((await admin.post(R, { id: '/sap/opu-odata+v2' })).headers.location, `${base()}${R}/-sap-opu+2Dodata+2Bv2`);
  t.match((await admin.get(`${R}/-sap-opu+2Dodata+2Bv2`)).json(), { id: '/sap/opu-odata+v2', enabled: false, exactMatchOnly: false, websocketUpgradeAllowed: false, description: '' },
    'flags left out are false (SAP), also enabled');
  t.match((await admin.get(`${R}/-sap-opu%2B2Dodata%2B2Bv2`)).json(), { id: '/sap/opu-odata+v2' }, 'a percent-encoded ID is decoded first');
  const list = (await admin.get(R)).json();
  t.same(list.map((x: any) => [x.id, x._links]), [['/', {}], ['/sap/opu-odata+v2', {}]], 'the list has empty _links');
  t.match((await admin.get(`${A}/systemMappings/tfvirtual:900`)).json(), { totalResourcesCount: 2, enabledResourcesCount: 1 });
});

t.test('resources: PUT 204 (no id, string booleans), 404 and 409, bad IDs, DELETE one and all', async (t) => {
  const R = `${A}/systemMappings/tfvirtual:900/resources`;
  t.equal((await admin.put(`${R}/-sap-opu+2Dodata+2Bv2`, { enabled: 'true', exactMatchOnly: 'true', websocketUpgradeAllowed: 'true', description: 'changed' })).status, 204);
  t.match((await admin.get(`${R}/-sap-opu+2Dodata+2Bv2`)).json(), { enabled: true, exactMatchOnly: true, websocketUpgradeAllowed: true, description: 'changed' });
  t.same((await admin.get(`${R}/-nothing`)).json(), { type: 'NOT_FOUND', message: "Resource with value '/nothing' does not exist" });
  t.equal((await admin.put(`${R}/-nothing`, { enabled: true })).status, 404);
  t.same([(await admin.post(R, { id: '/' })).status], [409]);
  const badId = await admin.get(`${R}/-a+3D`);
  t.same([badId.status, badId.json().type], [400, 'INVALID_REQUEST']);
  const withId = await admin.put(`${R}/-`, { id: '/', enabled: true });
  t.same([withId.status, withId.json().message], [400, "Unknown field 'id'"], 'PUT takes no id');
  const wrongType = await admin.put(`${R}/-`, { enabled: 'yes' });
  t.same([wrongType.status, wrongType.json().message], [400, "Invalid value for field 'enabled'"]);
  const noSlash = await admin.post(R, { id: 'no-slash' });
  t.same([noSlash.status, noSlash.json().type], [400, 'INVALID_REQUEST']);
  t.match(noSlash.json().message, /^id: /);
  t.equal((await admin.del(`${R}/-`)).status, 204);
  t.equal((await admin.del(`${R}/-`)).status, 404, 'deleting it again is 404');
  t.equal((await admin.del(R)).status, 204);
  t.same((await admin.get(R)).json(), []);
});

t.test('delete a mapping (its resources go with it) and delete all', async (t) => {
  t.equal((await admin.post(`${A}/systemMappings`, { ...TF_MAPPING, virtualHost: 'second' })).status, 201);
  t.equal((await admin.del(`${A}/systemMappings/tfvirtual:900`)).status, 204);
  t.equal((await admin.get(`${A}/systemMappings/tfvirtual:900`)).status, 404);
  t.equal((await admin.get(`${A}/systemMappings/tfvirtual:900/resources`)).status, 404);
  t.equal((await admin.del(`${A}/systemMappings`)).status, 204);
  t.same((await admin.get(`${A}/systemMappings`)).json(), []);
  const events = (await admin.get('/api/monitoring/auditLog')).json().entries.filter((e: any) => e.category === 'BackendMapping').map((e: any) => e.event);
  t.same(events, ['deleted', 'deleted', 'created', 'changed', 'created'], 'every mapping change is in the audit log');
});

t.test('bodies: not JSON → 400, another content type → 415, too large → 413, all in SAP\'s error shape', async (t) => {
  const P = `${A}/systemMappings`;
  const notJson = await admin.post(P, undefined, { raw: '{"virtualHost": ', headers: { 'content-type': 'application/json' } });
  t.same([notJson.status, notJson.json().type], [400, 'INVALID_REQUEST']);
  const text = await admin.post(P, undefined, { raw: 'virtualHost=x', headers: { 'content-type': 'text/plain' } });
  t.same([text.status, text.json().type], [415, 'INVALID_REQUEST']);
  const form = await admin.post(P, undefined, { raw: 'virtualHost=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(form.status, 415);
  const big = await admin.post(P, { ...TF_MAPPING, description: 'x'.repeat(70_000) });
  t.same([big.status, big.json().type], [413, 'INVALID_REQUEST']);
  const array = await admin.post(P, [TF_MAPPING]);
  t.same([array.status, array.json()], [400, { type: 'INVALID_REQUEST', message: 'The request body must be a JSON object' }]);
  const empty = await admin.post(P, undefined, { raw: '', headers: { 'content-type': 'application/json' } });
  t.same([empty.status, empty.json().type], [400, 'INVALID_REQUEST']);
  const proto = await admin.post(P, undefined, { raw: '{"__proto__": {"x": 1}}', headers: { 'content-type': 'application/json' } });
  t.equal(proto.status, 400, 'prototype poisoning is refused');
  t.same((await admin.get(P)).json(), [], 'nothing was added');
});
