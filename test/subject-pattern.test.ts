// Subject patterns of principal-propagation certificates, as a table: variables, DN escaping of
// user-controlled values, and patterns refused when the config is loaded.
import t from 'tap';
import { ConfigError, parseConfig } from '../services/shared/config-load.js';
import type { Principal } from '../services/shared/principal-header.js';
import { compileSubjectPattern } from '../services/shared/subject-pattern.js';

const alice: Principal = {
  kind: 'business', name: 'alice', email: 'alice@acme.example', givenName: 'Alice', familyName: 'Anders', userId: 'u-1', clientId: 'sb-app!t1',
};
const technical: Principal = { kind: 'technical', name: 'sb-app!t1', clientId: 'sb-app!t1' };

const RENDERED: Array<[string, Principal, string]> = [
  ['CN=${name}', alice, 'CN=alice'],
  ['CN=${name}, OU=Users, O=Acme', alice, 'CN=alice, OU=Users, O=Acme'],
  ['CN=${mail}', alice, 'CN=alice@acme.example'],
  ['EMAIL=${email}, CN=${display_name}', alice, 'E=alice@acme.example, CN=Alice Anders'],
  ['CN=${user_uuid}', alice, 'CN=u-1'],
  ['CN=${login_name}', alice, 'CN=alice'],
  ['CN=${name}, OU=${user_type}', technical, 'CN=sb-app!t1, OU=Technical'],
  ['CN=${login_name}x', technical, 'CN=x'],
  ['CN=${mail}', technical, 'CN='],
  ['CN=${name}', { ...alice, name: 'Doe, John' }, 'CN=Doe\\, John'],
  ['CN=${name}', { ...alice, name: 'a+b=c;<d>"e"\\f' }, 'CN=a\\+b\\=c\\;\\<d\\>\\"e\\"\\\\f'],
  ['CN=${name}', { ...alice, name: '#lead and trail ' }, 'CN=\\#lead and trail\\ '],
  ['CN=${name}', { ...alice, name: ' x' }, 'CN=\\ x'],
  ['CN=${name}, O=Acme\\, Inc.', alice, 'CN=alice, O=Acme\\, Inc.'],
];

for (const [pattern, principal, expected] of RENDERED) {
  t.test(`${pattern} renders ${JSON.stringify(expected)} for ${principal.kind} ${JSON.stringify(principal.name)}`, async (t) => {
    t.equal(compileSubjectPattern(pattern).render(principal), expected);
  });
}

const REFUSED: Array<[string, RegExp]> = [
  ['CN=${nmae}', /unknown variable \$\{nmae\} \(known: \$\{name\}/],
  ['alice', /"alice" is not TYPE=value/],
  ['XX=${name}', /unknown attribute type XX/],
  ['CN=${name},', /"" is not TYPE=value/],
];

for (const [pattern, message] of REFUSED) {
  t.test(`the pattern ${JSON.stringify(pattern)} is refused when the config is loaded`, async (t) => {
    t.throws(() => compileSubjectPattern(pattern), message);
    const config = {
      subaccounts: [{ subaccount: 'sa', subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] }],
      connectors: [{ name: 'k', subaccount: 'sa', cloudUser: 'u', cloudPassword: 'p', principalPropagation: { subjectPattern: pattern } }],
    };
    try {
      parseConfig(config);
      t.fail('parseConfig accepted it');
    } catch (err) {
      t.ok(err instanceof ConfigError);
      t.match((err as ConfigError).problems.join('\n'), /^connectors\[0\]\.principalPropagation\.subjectPattern: /);
      t.match((err as ConfigError).problems.join('\n'), message);
    }
  });
}

t.test('principal propagation settings get the defaults of the brief and SAP\'s limits', async (t) => {
  const base = {
    subaccounts: [{ subaccount: 'sa', subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'c', clientsecret: 's' }] }],
    connectors: [{ name: 'k', subaccount: 'sa', cloudUser: 'u', cloudPassword: 'p' }],
  };
  t.same(parseConfig(base).connectors[0]!.principalPropagation,
    { subjectPattern: 'CN=${name}', certificateValidityMinutes: 60, expirationToleranceMinutes: 0 });
  const withValidity = (certificateValidityMinutes: number) =>
    ({ ...base, connectors: [{ ...base.connectors[0], principalPropagation: { certificateValidityMinutes } }] });
  t.equal(parseConfig(withValidity(43200)).connectors[0]!.principalPropagation.certificateValidityMinutes, 43200, '30 days is the maximum');
  t.throws(() => parseConfig(withValidity(43201)), ConfigError, 'more is refused');
  t.throws(() => parseConfig(withValidity(0)), ConfigError, 'a certificate must be valid at least one minute');
});
