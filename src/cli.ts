#!/usr/bin/env node
// The `scc-sim` command. The only place that reads argv and the environment, listens, and
// handles SIGINT/SIGTERM (STYLE.md "Build vs run").
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, ENV_VARIABLES, loadConfigFile } from '../services/shared/config-load.js';
import type { Config } from '../services/shared/config-schema.js';
import { ConfigStore } from '../services/shared/config-store.js';
import { editorSchema } from '../services/shared/config-json-schema.js';
import { createLogger, type Logger } from '../services/shared/logger.js';
import { reclaimBuffersWith } from '../services/shared/buffer-reclaim.js';
import { minorGc } from './minor-gc.js';
import { installProcessGuard } from './process-guard.js';
// Each command loads only the services it runs (await import below): a connector process does not
// carry the proxy's, the backend's or the cockpit's modules — ~13 MB less RSS for the connector,
// ~16 MB for the proxy (issue 10's memory target).

const DEFAULT_CONFIG = 'config/scc-sim.yaml';

const HELP: Record<string, string> = {
  '': `scc-sim — a local simulator of the SAP Cloud Connector and the SAP BTP connectivity proxy

Usage: scc-sim <command> [--config FILE] [options]

Commands:
  up                 start backends, proxy service and every connector in one process
  proxy              start the proxy service (HTTP proxy, token service, tunnel endpoint)
  connector [--name N]   start one Cloud Connector (dials the proxy's tunnel endpoint)
  backend [--name N]     start one simulated on-premise backend (all of them without --name)
  check              validate a config file and exit
  token [--client ID]    print an access token for a client (from the running token service)
  schema [--write F] print (or write) the JSON Schema of the config file
  env [--write F]    print VCAP_SERVICES for apps (or write default-env.json)

Every command takes --config FILE (default ${DEFAULT_CONFIG}) and --help.
Environment overrides (deployment knobs only): ${ENV_VARIABLES.join(', ')}.
Each connector serves the SCC admin REST API over HTTPS (Basic auth, default Administrator / manage)
on its adminPort: default 8444 for the first connector without one, then the next free numbers
(SAP's 8443 is the token service's HTTPS port here). up, proxy and connector follow the config file:
hand edits apply without a restart, and what the admin API changes is written back to it.`,
  up: 'scc-sim up [--config FILE]\n  Starts everything in one process and prints the endpoints (each connector\'s admin API too) and a curl line to try.',
  proxy: 'scc-sim proxy [--config FILE]\n  Starts the proxy service: HTTP proxy, token service + status page, tunnel endpoint.',
  connector: 'scc-sim connector [--config FILE] [--name NAME]\n  Starts one connector and its admin API (https://<adminHost>:<adminPort>, default port 8444);\n'
    + '  --name may be left out when the file has exactly one.',
  backend: 'scc-sim backend [--config FILE] [--name NAME]\n  Starts one backend; without --name, every backend of the file.',
  check: 'scc-sim check [--config FILE]\n  Validates the file; prints every problem as "path: message" and exits 1 if there is any.',
  token: 'scc-sim token [--config FILE] [--client CLIENTID]\n  Prints an access token of the client (default: the first connectivity client).',
  schema: 'scc-sim schema [--write FILE]\n  Prints the JSON Schema of the config file, or writes it to FILE.',
  env: 'scc-sim env [--config FILE] [--write default-env.json]\n  Prints the VCAP_SERVICES (connectivity, destination, xsuaa bindings) of an app bound to the\n'
    + '  configured simulator, or writes default-env.json (CAP, approuter) to FILE. Hints, such as how to\n'
    + '  trust the simulator\'s CA (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE), go to stderr.',
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      config: { type: 'string', short: 'c', default: DEFAULT_CONFIG },
      name: { type: 'string', short: 'n' },
      client: { type: 'string' },
      write: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? '';
  if (values.help || command === '' || command === 'help') { console.log(HELP[command] ?? HELP['']); return command === '' && !values.help ? 1 : 0; }
  if (!(command in HELP)) { console.error(`unknown command "${command}"\n\n${HELP['']}`); return 2; }
  if (command === 'schema') return schema(values.write);

  if (command === 'up' || command === 'proxy' || command === 'connector') {
    const store = ConfigStore.open(values.config!, { env: process.env });
    const logger = createLogger(store.config.logLevel, 'scc-sim');
    store.logger = logger;
    installProcessGuard(logger, { command, name: values.name, config: values.config });
    const gc = minorGc();
    if (gc !== undefined) reclaimBuffersWith(gc);
    store.watch();
    return serve(await start(command, store, values.name, logger), logger);
  }
  const config = loadConfigFile(values.config!, process.env);
  if (command === 'check') {
    console.log(`${values.config}: valid — ${config.subaccounts.length} subaccount(s), ${config.connectors.length} connector(s), `
      + `${config.connectors.reduce((n, k) => n + k.subaccounts.reduce((m, s) => m + s.systemMappings.length, 0), 0)} system mapping(s), ${config.backends.length} backend(s)`);
    return 0;
  }
  if (command === 'env') {
    const { envCommand } = await import('./env-command.js');
    const out = await envCommand(config, { write: values.write, configArg: values.config! });
    process.stdout.write(out.stdout);
    process.stderr.write(out.stderr);
    return 0;
  }
  if (command === 'token') {
    const clients = config.subaccounts.flatMap((s) => s.clients);
    const client = values.client ? clients.find((c) => c.clientid === values.client) : clients.find((c) => c.service === 'connectivity') ?? clients[0];
    if (!client) { console.error(`no client "${values.client}" in ${values.config}`); return 1; }
    const host = config.proxy.publicHost ?? (config.proxy.host === '0.0.0.0' ? '127.0.0.1' : config.proxy.host);
    const { fetchToken } = await import('./token-client.js');
    console.log(await fetchToken(`http://${host}:${config.proxy.tokenServicePort}`, client.clientid, client.clientsecret));
    return 0;
  }
  const logger = createLogger(config.logLevel, 'scc-sim');
  installProcessGuard(logger, { command, name: values.name, config: values.config });
  return serve(await startBackends(config, values.name, logger), logger);
}

/** Runs until SIGINT/SIGTERM, then closes gracefully. */
async function serve(close: () => Promise<void>, logger: Logger): Promise<number> {
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      close().then(resolve, (err) => { logger.error({ err }, 'error while shutting down'); resolve(); });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

async function start(command: string, store: ConfigStore, name: string | undefined, logger: Logger): Promise<() => Promise<void>> {
  const config = store.config;
  switch (command) {
    case 'up': {
      const { startSimulator } = await import('./simulator.js');
      const sim = await startSimulator(store, { ephemeral: false, logger });
      printBanner({ ...sim.urls, caFile: sim.caFile }, sim.admin, config);
      return async () => { await sim.close(); store.close(); };
    }
    case 'proxy': {
      const { buildProxy } = await import('../services/proxy/proxy-service.js');
      const proxy = await buildProxy(config, { logger, store });
      await proxy.listen();
      return async () => { await proxy.close(); store.close(); };
    }
    default: {
      const { buildConnector } = await import('../services/connector/connector-service.js');
      const connector = await buildConnector(store, { name, logger });
      const admin = await connector.listenAdmin();
      connector.start();
      console.log(`scc-sim connector ${connector.name}: admin API ${admin.url}   (user ${connector.config.adminUser}; CA: ${connector.caFile})`);
      console.log(`scc-sim connector ${connector.name}: admin pages ${admin.url}/   (a browser; the same login)`);
      return async () => { await connector.close(); store.close(); };
    }
  }
}

/** One backend by name; without --name, every backend of the file (the default config has the Hello World, TCP echo and SMTP backends). */
async function startBackends(config: Config, name: string | undefined, logger: Logger): Promise<() => Promise<void>> {
  const chosen = name ? config.backends.filter((x) => x.name === name) : config.backends;
  if (chosen.length === 0) throw new Error(name ? `no backend named "${name}" in the config` : 'the config has no backends');
  const { startBackend } = await import('../services/backend/start-backend.js');
  const running = await Promise.all(chosen.map((b) => startBackend(b, logger)));
  for (const r of running) logger.info({ backend: r.name, kind: r.kind, url: r.url }, 'backend listening');
  return async () => { await Promise.all(running.map((r) => r.close())); };
}

function printBanner(urls: { httpProxy: string; tokenService: string; tokenServiceHttps: string; caFile: string; tunnel: string; socks5Proxy: string },
  admin: Record<string, { url: string; user: string }>, config: Config): void {
  const first = config.connectors.flatMap((k) => k.subaccounts).find((s) => s.systemMappings.some((x) => x.protocol === 'HTTP' || x.protocol === 'HTTPS'));
  const m = first?.systemMappings.find((x) => x.protocol === 'HTTP' || x.protocol === 'HTTPS');
  const lines = [
    '', 'scc-sim is up.',
    `  HTTP proxy     ${urls.httpProxy}`,
    `  SOCKS5 proxy   ${urls.socks5Proxy}   (authentication method 0x80)`,
    `  token service  ${urls.tokenService}/oauth/token   (JWKS: /token_keys, status JSON: /status)`,
    `                 ${urls.tokenServiceHttps}/oauth/token   (CA: ${urls.caFile})`,
    `  tunnel         ${urls.tunnel}`,
    `  cockpit        ${urls.tokenService}/   (live connectors and traffic in the browser)`,
  ];
  for (const c of config.connectors) {
    lines.push(`  connector      ${c.name}: admin API ${admin[c.name]?.url ?? '(not started)'}   (user ${c.adminUser}; CA: ${urls.caFile})`);
    if (admin[c.name] !== undefined) lines.push(`                 ${' '.repeat(c.name.length)}  admin pages ${admin[c.name]!.url}/   (a browser; the same login)`);
    for (const s of c.subaccounts) {
      lines.push(`                   subaccount ${s.subaccount}, location ID ${s.locationID ? `"${s.locationID}"` : '(default)'}`
        + `${s.connected ? '' : ' (disconnected)'}: ${s.systemMappings.map((x) => `${x.virtualHost}:${x.virtualPort} → ${x.localHost}:${x.localPort}`).join(', ') || 'no system mappings'}`);
    }
  }
  if (m && first) {
    const loc = first.locationID ? ` -H "SAP-Connectivity-SCC-Location_ID: ${first.locationID}"` : '';
    lines.push('', 'Try it:', `  curl -x ${urls.httpProxy} --proxy-header "Proxy-Authorization: Bearer $(npx scc-sim token${configFlag()})"${loc} http://${m.virtualHost}:${m.virtualPort}/`);
  }
  const k = config.connectors[0];
  if (k) {
    const password = k.adminPassword === 'manage' ? 'manage' : '<adminPassword>';
    lines.push(`  curl --cacert ${urls.caFile} -u ${k.adminUser}:${password} ${admin[k.name]?.url}/api/v1/configuration/subaccounts`);
  }
  console.log(lines.join('\n') + '\n');
}

function configFlag(): string {
  const i = process.argv.indexOf('--config');
  return i > 0 && process.argv[i + 1] ? ` --config ${process.argv[i + 1]}` : '';
}

function schema(file: string | undefined): number {
  const text = `${JSON.stringify(editorSchema(), null, 2)}\n`;
  if (file) writeFileSync(file, text); else process.stdout.write(text);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`scc-sim: ${(err as Error).message}`);
  process.exit(1);
});

