// `scc-sim env`: the VCAP_SERVICES (or, with --write, the default-env.json) of an app bound to the
// configured world, for the configured ports; the simulator need not run. The JSON goes to stdout
// (so `export VCAP_SERVICES="$(scc-sim env)"` works); how to use it and how to trust the
// simulator's CA go to stderr as `#` comments.
import { writeFileSync } from 'node:fs';
import type { Config } from '../services/shared/config-schema.js';
import { defaultCaDir, loadOrCreateCa } from '../services/shared/sim-ca.js';
import { loadSigningKeys } from '../services/xsuaa/token-keys.js';
import { buildDefaultEnv, buildVcapServices, configuredUrls, hostsLines } from './vcap-services.js';

export interface EnvCommandOptions {
  /** Write default-env.json here instead of printing VCAP_SERVICES. */
  write?: string;
  /** How the user named the config, for the hint lines. */
  configArg: string;
}

export interface EnvCommandOutput {
  stdout: string;
  stderr: string;
}

export async function envCommand(config: Config, opts: EnvCommandOptions): Promise<EnvCommandOutput> {
  const urls = configuredUrls(config);
  const key = await verificationKey(config, urls.tokenService);
  const withKey = { ...urls, verificationKey: key.value };
  const caFile = await simCaFile(config);
  const notes: string[] = [];
  let stdout = '';
  if (opts.write !== undefined) {
    writeFileSync(opts.write, `${JSON.stringify(buildDefaultEnv(config, withKey), null, 2)}\n`);
    notes.push(`# wrote ${opts.write}: VCAP_SERVICES for token service ${urls.tokenService}, HTTP proxy ${urls.httpProxy}`);
  } else {
    stdout = `${JSON.stringify(buildVcapServices(config, withKey), null, 2)}\n`;
    notes.push(`# VCAP_SERVICES for token service ${urls.tokenService}, HTTP proxy ${urls.httpProxy}. Use it with:`,
      `#   export VCAP_SERVICES="$(npx scc-sim env --config ${opts.configArg} 2>/dev/null)"`);
  }
  if (key.note !== undefined) notes.push(`# ${key.note}`);
  notes.push(
    `# Trust the simulator's CA for HTTPS (https://<uaadomain>/oauth/token, used by user and tenant token flows):`,
    `#   export NODE_EXTRA_CA_CERTS=${caFile}`,
    `#   export REQUESTS_CA_BUNDLE=${caFile}`,
  );
  notes.push(
    `# Resolve the uaadomain and the tenant names https://<subdomain>.<uaadomain> to the simulator: add to /etc/hosts`,
    '# (browsers and systemd-resolved resolve *.localhost by themselves; glibc without it, e.g. in containers, does not):',
    ...hostsLines(config).map((l) => `#   ${l}`),
  );
  if (urls.tokenServiceHttps === undefined) {
    notes.push('# (this config has no HTTPS token listener: uaadomain is the plain-HTTP token service)');
  }
  return { stdout, stderr: `${notes.join('\n')}\n` };
}

/**
 * The PEM public key behind the tokens: from `proxy.signingKeyFile`, else from the running token
 * service's /token_keys; a generated key changes at every start, so without either it is unknown.
 */
async function verificationKey(config: Config, tokenService: string): Promise<{ value?: string; note?: string }> {
  if (config.proxy.signingKeyFile !== undefined) return { value: (await loadSigningKeys(config.proxy.signingKeyFile)).publicJwk.value };
  try {
    const res = await fetch(`${tokenService}/token_keys`, { signal: AbortSignal.timeout(1000) });
    const jwks = await res.json() as { keys?: Array<{ value?: unknown }> };
    const value = jwks.keys?.[0]?.value;
    if (res.ok && typeof value === 'string') return { value };
  } catch { /* not running */ }
  return { note: 'verificationkey left out: the token service is not running and proxy.signingKeyFile is not set (a generated key changes at every start)' };
}

/**
 * The CA file apps must trust, created now if it does not exist yet (the CA is made once and
 * reused by every start). The simulator's folder: `proxy.caDir` (absolute after loading), else the default.
 */
async function simCaFile(config: Config): Promise<string> {
  const ca = await loadOrCreateCa(config.proxy.caDir ?? defaultCaDir());
  return ca.caFile;
}
