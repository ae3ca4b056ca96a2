// The bench's simulated world: one subaccount, one connector (default location) mapping
// virtualhost:3333 to one backend, every port free, written as YAML into the run folder.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts } from './ports.js';

export const VIRTUAL_HOST = 'virtualhost';
export const VIRTUAL_PORT = 3333;
export const SUBACCOUNT = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
export const CLIENT_ID = 'sb-bench!b1|connectivity!b137';

export interface BenchPorts { backend: number; http: number; socks5: number; token: number; tunnel: number }
/** The peer chains' hops (bench/peer-chain.ts). */
export interface PeerPorts { undiciProxy: number; undiciConnector: number; httpProxyProxy: number; httpProxyConnector: number }
export interface BenchConfig { file: string; ports: BenchPorts; peerPorts: PeerPorts; logLevel: string }

export async function writeBenchConfig(dir: string, logLevel: string): Promise<BenchConfig> {
  const [backend, http, socks5, token, tunnel, undiciProxy, undiciConnector, httpProxyProxy, httpProxyConnector] = await freePorts(9);
  const ports = { backend, http, socks5, token, tunnel };
  const peerPorts = { undiciProxy, undiciConnector, httpProxyProxy, httpProxyConnector };
  // A signing key in a file, so the peer chains' token check verifies scc-sim's tokens with the same key.
  const signingKeyFile = join(dir, 'signing-key.pem');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  const config = {
    logLevel,
    proxy: { host: '127.0.0.1', httpPort: http, socks5Port: socks5, tokenServicePort: token, tokenServiceHttpsPort: 0, tunnelPort: tunnel, signingKeyFile },
    subaccounts: [{
      subaccount: SUBACCOUNT,
      subdomain: 'scc-sim-bench',
      cloudUser: 'bench-user@example.com',
      cloudPassword: 'bench-password',
      clients: [{ clientid: CLIENT_ID, clientsecret: 'bench-secret', service: 'connectivity' }],
    }],
    connectors: [{
      name: 'bench',
      adminPort: 0,
      subaccount: SUBACCOUNT,
      locationID: '',
      cloudUser: 'bench-user@example.com',
      cloudPassword: 'bench-password',
      systemMappings: [{
        virtualHost: VIRTUAL_HOST,
        virtualPort: VIRTUAL_PORT,
        localHost: '127.0.0.1',
        localPort: backend,
        protocol: 'HTTP',
        resources: [{ id: '/', exactMatchOnly: false }],
      }],
    }],
    backends: [{ name: 'bench-backend', host: '127.0.0.1', port: backend }],
  };
  const file = join(dir, 'scc-sim-bench.yaml');
  writeFileSync(file, stringify(config));
  return { file, ports, peerPorts, logLevel };
}
