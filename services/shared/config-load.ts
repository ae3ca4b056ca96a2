// Config is data, validated once: YAML → defaults → schema → cross-field rules → frozen object.
// Every problem is reported as `path: message`; nothing half-valid is ever returned.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseDocument, type Document } from 'yaml';
import { listenerProblems } from './config-listeners.js';
import { ConfigSchema, type Config } from './config-schema.js';
import { normalizeConnectorShapes, problemAtFilePath } from './config-connector-shape.js';
import { compileSubjectPattern } from './subject-pattern.js';
import { checkSubaccountRules } from './subaccount-rules.js';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid configuration ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Deployment knobs that environment variables may override (DESIGN.md: only hosts, ports, log level). */
const ENV_OVERRIDES: Array<[string, (c: any, v: string) => void]> = [
  ['SCC_SIM_LOG_LEVEL', (c, v) => { c.logLevel = v; }],
  ['SCC_SIM_PROXY_HOST', (c, v) => { c.proxy.host = v; }],
  ['SCC_SIM_PUBLIC_HOST', (c, v) => { c.proxy.publicHost = v; }],
  ['SCC_SIM_HTTP_PORT', (c, v) => { c.proxy.httpPort = Number(v); }],
  ['SCC_SIM_SOCKS5_PORT', (c, v) => { c.proxy.socks5Port = Number(v); }],
  ['SCC_SIM_TOKEN_PORT', (c, v) => { c.proxy.tokenServicePort = Number(v); }],
  ['SCC_SIM_TOKEN_HTTPS_PORT', (c, v) => { c.proxy.tokenServiceHttpsPort = Number(v); }],
  ['SCC_SIM_TUNNEL_PORT', (c, v) => { c.proxy.tunnelPort = Number(v); }],
  ['SCC_SIM_TUNNEL_HOST', (c, v) => { for (const k of c.connectors ?? []) k.tunnelHost = v; }],
  ['SCC_SIM_BACKEND_HOST', (c, v) => { for (const b of c.backends ?? []) b.host = v; }],
  // For `scc-sim connector` (one connector per process); with several connectors in one process they would clash, unless 0.
  ['SCC_SIM_ADMIN_HOST', (c, v) => { for (const k of c.connectors ?? []) k.adminHost = v; }],
  ['SCC_SIM_ADMIN_PORT', (c, v) => { for (const k of c.connectors ?? []) k.adminPort = Number(v); }],
];
export const ENV_VARIABLES = ENV_OVERRIDES.map(([name]) => name);

/** Reads, validates and freezes a config file. Throws ConfigError listing every problem. */
export function loadConfigFile(file: string, env: Record<string, string | undefined> = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  return parseConfig(documentData(parseYamlDocument(text, file), file), { baseDir: dirname(resolve(file)), source: file, env });
}

/** The YAML Document of a config file's text (comments and order kept, for the config store). Throws ConfigError on YAML errors. */
export function parseYamlDocument(text: string, file: string): Document {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  // One syntax error is one problem: the parser's follow-on errors only repeat it.
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    const message = syntax.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(file, [`${file}:${at?.line ?? '?'}:${at?.col ?? '?'}: ${message}`]);
  }
  return doc;
}

/** The plain data of a config Document. Throws ConfigError on an alias bomb, refused by the yaml package before it expands. */
export function documentData(doc: Document, file: string): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    throw new ConfigError(file, [`${file}: ${(err as Error).message}`]);
  }
}

export interface ParseOptions {
  /** Relative file paths in the config resolve against this folder. */
  baseDir?: string;
  source?: string;
  env?: Record<string, string | undefined>;
}

/** Validates a config object (as parsed from YAML, or built in a test) and returns it frozen. */
export function parseConfig(input: unknown, opts: ParseOptions = {}): Config {
  const source = opts.source ?? '(object)';
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(source, ['(root): must be a mapping with at least "subaccounts"']);
  }
  const work = Value.Clone(input) as any;
  for (const [name, apply] of ENV_OVERRIDES) {
    const v = opts.env?.[name];
    if (v !== undefined && v !== '') { work.proxy ??= {}; apply(work, v); }
  }
  const shapes = normalizeConnectorShapes(work);
  const atFilePath = (list: string[]) => list.map((p) => problemAtFilePath(p, shapes.legacy));
  if (shapes.problems.length > 0) throw new ConfigError(source, shapes.problems);
  upperCaseEnums(work);
  const withDefaults = Value.Default(ConfigSchema, work) as Config;
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((e) => `${pathOf(e.path)}: ${e.message}`);
  if (problems.length > 0) throw new ConfigError(source, dedupe(atFilePath(problems)));
  const semantic = [...checkRules(withDefaults, opts.baseDir ?? process.cwd()), ...checkSubaccountRules(withDefaults)];
  if (semantic.length > 0) throw new ConfigError(source, atFilePath(semantic));
  assignAdminPorts(withDefaults);
  return deepFreeze(withDefaults);
}

function upperCaseEnums(c: any): void {
  const up = (o: any, k: string) => { if (o && typeof o[k] === 'string') o[k] = o[k].toUpperCase(); };
  for (const k of Array.isArray(c.connectors) ? c.connectors : []) {
    up(k, 'auditLogLevel');
    for (const s of Array.isArray(k?.subaccounts) ? k.subaccounts : []) {
      up(s, 'auditLogLevel');
      for (const m of Array.isArray(s?.systemMappings) ? s.systemMappings : []) {
        up(m, 'hostInHeader'); up(m, 'protocol'); up(m, 'authenticationMode');
      }
    }
  }
}

/** SAP's admin port 8443 is the token service's HTTPS port here: connectors without adminPort get 8444, 8445, … (skipping ports in use). */
export const DEFAULT_ADMIN_PORT = 8444;

function assignAdminPorts(c: Config): void {
  const { httpPort, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort } = c.proxy;
  const taken = new Set<number>([httpPort, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort, ...c.backends.map((b) => b.port)]);
  for (const k of c.connectors) if (k.adminPort !== undefined) taken.add(k.adminPort);
  let next = DEFAULT_ADMIN_PORT;
  for (const k of c.connectors) {
    if (k.adminPort !== undefined) continue;
    while (taken.has(next)) next += 1;
    k.adminPort = next;
    taken.add(next);
  }
}

/** `/connectors/0/systemMappings/1/virtualPort` → `connectors[0].systemMappings[1].virtualPort` */
function pathOf(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function checkRules(c: Config, baseDir: string): string[] {
  const out: string[] = [];
  const subaccounts = new Set<string>();
  const clientIds = new Set<string>();
  c.subaccounts.forEach((s, i) => {
    if (subaccounts.has(s.subaccount)) out.push(`subaccounts[${i}].subaccount: "${s.subaccount}" is declared twice`);
    subaccounts.add(s.subaccount);
    s.clients.forEach((cl, j) => {
      if (clientIds.has(cl.clientid)) out.push(`subaccounts[${i}].clients[${j}].clientid: "${cl.clientid}" is declared twice`);
      clientIds.add(cl.clientid);
    });
  });
  const names = new Set<string>();
  const tunnels = new Set<string>();
  c.connectors.forEach((k, i) => {
    const at = `connectors[${i}]`;
    if (names.has(k.name)) out.push(`${at}.name: "${k.name}" is declared twice`);
    names.add(k.name);
    if (k.reconnectMaxDelayMs < k.reconnectInitialDelayMs) out.push(`${at}.reconnectMaxDelayMs: must be >= reconnectInitialDelayMs`);
    try {
      compileSubjectPattern(k.principalPropagation.subjectPattern);
    } catch (err) {
      out.push(`${at}.principalPropagation.subjectPattern: ${(err as Error).message}`);
    }
    const served = new Set<string>();
    k.subaccounts.forEach((s, n) => {
      const sat = `${at}.subaccounts[${n}]`;
      if (!subaccounts.has(s.subaccount)) out.push(`${sat}.subaccount: "${s.subaccount}" is not one of subaccounts[].subaccount`);
      if (served.has(`${s.subaccount}@${s.regionHost}`)) out.push(`${sat}.subaccount: "${s.subaccount}" in region ${s.regionHost} is declared twice`);
      served.add(`${s.subaccount}@${s.regionHost}`);
      const key = `${s.subaccount}/${s.locationID}`;
      if (tunnels.has(key)) out.push(`${sat}.locationID: another connector already serves subaccount "${s.subaccount}" with location "${s.locationID}"`);
      tunnels.add(key);
      checkMappings(s, sat, baseDir, out);
    });
  });
  const backends = new Set<string>();
  c.backends.forEach((b, i) => {
    if (backends.has(b.name)) out.push(`backends[${i}].name: "${b.name}" is declared twice`);
    backends.add(b.name);
  });
  if (c.proxy.signingKeyFile !== undefined) {
    const abs = resolve(baseDir, c.proxy.signingKeyFile);
    if (!existsSync(abs)) out.push(`proxy.signingKeyFile: file not found: ${abs}`);
    else (c.proxy as any).signingKeyFile = abs;
  }
  if (c.proxy.caDir !== undefined) (c.proxy as any).caDir = resolve(baseDir, c.proxy.caDir);
  out.push(...listenerProblems(c));
  return out;
}

function checkMappings(s: Config['connectors'][number]['subaccounts'][number], sat: string, baseDir: string, out: string[]): void {
  const systems = new Set<string>();
  s.systemMappings.forEach((m, j) => {
    const mat = `${sat}.systemMappings[${j}]`;
    const sys = `${m.virtualHost.toLowerCase()}:${m.virtualPort}`;
    if (systems.has(sys)) out.push(`${mat}.virtualHost: system ${sys} is mapped twice`);
    systems.add(sys);
    const tcp = m.protocol === 'TCP' || m.protocol === 'TCPS';
    for (const f of ['virtualPort', 'localPort'] as const) {
      const v = String(m[f]);
      if (v.includes('-') && !tcp) out.push(`${mat}.${f}: port ranges are allowed for TCP and TCPS mappings only`);
      const [lo, hi = lo] = v.split('-').map(Number);
      if (lo < 1 || hi > 65535 || hi < lo) out.push(`${mat}.${f}: "${v}" is not a port or port range within 1-65535`);
    }
    if (m.caFile !== undefined) {
      const abs = resolve(baseDir, m.caFile);
      if (!existsSync(abs)) out.push(`${mat}.caFile: file not found: ${abs}`);
      else (m as any).caFile = abs;
    }
    const ids = new Set<string>();
    m.resources.forEach((r, n) => {
      if (ids.has(r.id)) out.push(`${mat}.resources[${n}].id: "${r.id}" is declared twice`);
      ids.add(r.id);
    });
  });
  const domains = new Set<string>();
  s.domainMappings.forEach((d, j) => {
    if (domains.has(d.internalDomain.toLowerCase())) out.push(`${sat}.domainMappings[${j}].internalDomain: "${d.internalDomain}" is mapped twice`);
    domains.add(d.internalDomain.toLowerCase());
  });
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Freezes an object and everything in it. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
