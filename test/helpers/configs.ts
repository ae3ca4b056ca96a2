// Config builders for the end-to-end tests: a small simulated world that each test shapes with a
// few overrides. Subaccount A has a connectivity client and a destination-service client and one
// connector; subaccount B has only its own connectivity client and no connector.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource, SystemMapping } from '../../services/shared/config-schema.js';

export const SUBACCOUNT_A = '0a0a0a0a-1111-4aaa-8aaa-00000000000a';
export const SUBACCOUNT_B = '0b0b0b0b-2222-4bbb-8bbb-00000000000b';
export const CLIENT_A = 'sb-clone-e2e-a!b1|connectivity!b137';
export const DESTINATION_CLIENT_A = 'sb-clone-e2e-a-dest!b2|destination-xsappname!b9';
export const CLIENT_B = 'sb-clone-e2e-b!b3|connectivity!b137';

export const VIRTUAL_HOST = 'virtualhost';
export const VIRTUAL_PORT = 3333;
/** The port the "hello" backend is configured with; startSimulator moves it (and its mappings) to an ephemeral one. */
export const HELLO_PORT = 3333;

/** A system mapping as written in a config file: every field optional, resource defaults left to the schema. */
export type MappingInput = Omit<Partial<SystemMapping>, 'resources'> & { resources?: Array<Partial<Resource> & { id: string }> };

/** A system mapping virtualhost:3333 → the "hello" backend, every path allowed; override any field. */
export function mapping(over: MappingInput = {}): MappingInput {
  return {
    virtualHost: VIRTUAL_HOST,
    virtualPort: VIRTUAL_PORT,
    localHost: '127.0.0.1',
    localPort: HELLO_PORT,
    protocol: 'HTTP',
    hostInHeader: 'VIRTUAL',
    resources: [{ id: '/', exactMatchOnly: false }],
    ...over,
  };
}

export interface WorldOptions {
  /** System mappings of subaccount A's connector; default: one `mapping()`. */
  mappings?: MappingInput[];
  /** Location ID of subaccount A's connector; default the empty (default) location. */
  locationID?: string;
  /** Extra proxy settings, e.g. `signingKeyFile`. */
  proxy?: Record<string, unknown>;
  /** Backends; default one named "hello" on HELLO_PORT. */
  backends?: Array<{ name: string; port: number }>;
}

/** The config object of the test world, ready for `startSimulator`. */
export function world(opts: WorldOptions = {}): Record<string, unknown> {
  return {
    logLevel: 'silent',
    proxy: { host: '127.0.0.1', ...opts.proxy },
    subaccounts: [
      {
        subaccount: SUBACCOUNT_A, subdomain: 'e2e-a', cloudUser: 'cloud-user-a@example.com', cloudPassword: 'cloud-password-a',
        clients: [
          { clientid: CLIENT_A, clientsecret: 'secret-a', service: 'connectivity' },
          { clientid: DESTINATION_CLIENT_A, clientsecret: 'secret-a-dest', service: 'destination' },
        ],
      },
      {
        subaccount: SUBACCOUNT_B, subdomain: 'e2e-b', cloudUser: 'cloud-user-b@example.com', cloudPassword: 'cloud-password-b',
        clients: [{ clientid: CLIENT_B, clientsecret: 'secret-b', service: 'connectivity' }],
      },
    ],
    connectors: [
      {
        name: 'connector-a', subaccount: SUBACCOUNT_A, locationID: opts.locationID ?? '',
        cloudUser: 'cloud-user-a@example.com', cloudPassword: 'cloud-password-a',
        systemMappings: opts.mappings ?? [mapping()],
      },
    ],
    backends: (opts.backends ?? [{ name: 'hello', port: HELLO_PORT }]).map((b) => ({ host: '127.0.0.1', ...b })),
  };
}

/** A fresh 2048-bit RSA key as a PKCS#8 PEM file in a temp folder, for `proxy.signingKeyFile`. */
export function signingKeyFile(teardown: (fn: () => void) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-e2e-key-'));
  teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = join(dir, 'signing-key.pem');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return file;
}
