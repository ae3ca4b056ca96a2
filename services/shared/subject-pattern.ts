// The subject of a principal-propagation certificate, from the Cloud Connector's subject pattern
// (sap-contract.md §4.3; SCC "Configure Subject Patterns"), e.g. `CN=${name}, OU=Users, O=Acme`.
// Pure: compiled once (config check and connector start), rendered per certificate. Values are
// escaped as RFC 4514 asks, so a user named `Doe, John` stays one CN. Used by the config loader
// (to refuse a bad pattern at start) and by the connector.
import type { Principal } from './principal-header.js';

/** The variables a pattern may use; SAP's list plus a few claims the simulated tokens carry. */
const VARIABLES: Record<string, (p: Principal) => string | undefined> = {
  name: (p) => p.name,
  mail: (p) => p.email,
  email: (p) => p.email,
  user_uuid: (p) => p.userId,
  login_name: (p) => (p.kind === 'business' ? p.name : undefined),
  display_name: (p) => [p.givenName, p.familyName].filter((v) => v !== undefined).join(' ') || undefined,
  given_name: (p) => p.givenName,
  family_name: (p) => p.familyName,
  client_id: (p) => p.clientId,
  user_type: (p) => (p.kind === 'business' ? 'Business' : 'Technical'),
};

/** Attribute types the certificate generator knows; EMAIL and EMAILADDRESS are written as E. */
const TYPES = new Set(['CN', 'L', 'ST', 'O', 'OU', 'C', 'DC', 'E', 'G', 'I', 'SN', 'T']);
const ALIASES: Record<string, string> = { EMAIL: 'E', EMAILADDRESS: 'E' };

export const SUBJECT_VARIABLES: readonly string[] = Object.keys(VARIABLES);

export interface SubjectPattern {
  readonly pattern: string;
  /** The subject DN for this principal; a variable without a value becomes empty. */
  render(p: Principal): string;
}

type Part = { text: string } | { variable: string };

/** Compiles a pattern; throws an Error that says what is wrong with it. */
export function compileSubjectPattern(pattern: string): SubjectPattern {
  const rdns = splitUnescaped(pattern, ',').map((rdn) => {
    const eq = rdn.indexOf('=');
    if (eq <= 0) throw new Error(`"${rdn.trim()}" is not TYPE=value`);
    const raw = rdn.slice(0, eq).trim().toUpperCase();
    const type = ALIASES[raw] ?? raw;
    if (!TYPES.has(type) && !/^\d+(\.\d+)+$/.test(type)) {
      throw new Error(`unknown attribute type ${raw} (known: ${[...TYPES, ...Object.keys(ALIASES)].join(', ')}, or an OID)`);
    }
    return { type, parts: parseValue(rdn.slice(eq + 1).trim()) };
  });
  if (rdns.length === 0) throw new Error('the pattern is empty');
  return {
    pattern,
    render(p) {
      return rdns.map(({ type, parts }) => `${type}=${escapeValue(parts.map((part) => ('text' in part ? part.text : VARIABLES[part.variable]!(p) ?? '')).join(''))}`).join(', ');
    },
  };
}

/** `a ${name} b` → text and variables; backslash escapes of the pattern are taken literally. */
function parseValue(value: string): Part[] {
  const parts: Part[] = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    if (m.index > last) parts.push({ text: unescape(value.slice(last, m.index)) });
    const variable = m[1]!;
    if (!(variable in VARIABLES)) throw new Error(`unknown variable \${${variable}} (known: ${SUBJECT_VARIABLES.map((v) => `\${${v}}`).join(', ')})`);
    parts.push({ variable });
    last = m.index + m[0].length;
  }
  if (last < value.length) parts.push({ text: unescape(value.slice(last)) });
  return parts;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) { cur += c + s[++i]; continue; }
    if (c === sep) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** RFC 4514 §2.4: backslash before , + " \ < > ; = , a leading # or space, and a trailing space. */
function escapeValue(v: string): string {
  let out = v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}
