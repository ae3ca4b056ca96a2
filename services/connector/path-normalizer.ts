// Turns the raw request path (no query string, still percent-encoded) into the one path that is
// both checked against the resources and forwarded to the backend, so that no request can reach a
// backend path the check would have denied. Pure: no I/O, no fastify, no http.
//
// The SCC does not document its normalisation (sap-contract.md §4.2, UNCONFIRMED); this is the
// simulator's choice, strict on purpose (deny by default):
//   - refused: no leading `/`, `\` or `%5C`, `%2F`, NUL or `%00`, control characters and spaces,
//     malformed escapes (`%zz`, `%4`), segments `.;…` / `..;…` (Tomcat treats them as `.` / `..`);
//   - escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded, all others are kept
//     with upper-case hex (`%2e%2e` → `..`, `%3b` → `%3B`);
//   - runs of `/` collapse to one; dot segments are removed per RFC 3986 §5.2.4.
// `;` is otherwise kept: SAP OData uses matrix parameters such as `;o=SYS`.

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

/** A path with no `%`, `.`, `\`, `//`, control character or space is already normal. */
const ALREADY_NORMAL = /^(?:\/[^/%.\\\x00-\x20\x7f]+)*\/?$/;
/** A segment Tomcat reads as a dot segment because it strips `;` path parameters first. */
const DOT_WITH_PARAMS = /^\.\.?(?:;|%3B)/;
const HEX = '0123456789ABCDEF';

export function normalizePath(rawPath: string): NormalizedPath {
  if (rawPath.length === 0) return refuse('the path is empty');
  if (rawPath.charCodeAt(0) !== 0x2f) return refuse('the path does not start with "/"');
  if (ALREADY_NORMAL.test(rawPath)) return { ok: true, path: rawPath };
  const decoded = decodeUnreserved(rawPath);
  if (typeof decoded !== 'string') return decoded;
  return removeDotSegments(decoded.replace(/\/{2,}/g, '/'));
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Checks every character and decodes the escapes of unreserved characters. */
function decodeUnreserved(raw: string): string | { ok: false; reason: string } {
  let out = '';
  let copiedUpTo = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return refuse(`malformed percent escape "${raw.slice(i, i + 3)}" at offset ${i}`);
      const byte = hi * 16 + lo;
      if (byte === 0x2f) return refuse(`encoded slash (%2F) at offset ${i}`);
      if (byte === 0x5c) return refuse(`encoded backslash (%5C) at offset ${i}`);
      if (byte === 0x00) return refuse(`encoded NUL (%00) at offset ${i}`);
      out += raw.slice(copiedUpTo, i);
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`;
      copiedUpTo = i + 3;
      i += 2;
    } else if (c === 0x5c /* \ */) {
      return refuse(`backslash at offset ${i}`);
    } else if (c === 0x00) {
      return refuse(`NUL character at offset ${i}`);
    } else if (c === 0x20) {
      return refuse(`space at offset ${i}`);
    } else if (c < 0x20 || c === 0x7f) {
      return refuse(`control character 0x${c.toString(16).padStart(2, '0')} at offset ${i}`);
    }
  }
  return copiedUpTo === 0 ? raw : out + raw.slice(copiedUpTo);
}

/** RFC 3986 §5.2.4 on an absolute path without empty segments (runs of `/` already collapsed). */
function removeDotSegments(path: string): NormalizedPath {
  const segments = path.split('/');
  const kept: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const isLast = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') kept.pop();
      trailingSlash = isLast;
    } else if (segment === '') {
      trailingSlash = true; // only the last segment can be empty here
    } else if (DOT_WITH_PARAMS.test(segment)) {
      return refuse(`dot segment with path parameters "${segment}"`);
    } else {
      kept.push(segment);
      trailingSlash = false;
    }
  }
  if (kept.length === 0) return { ok: true, path: '/' };
  return { ok: true, path: `/${kept.join('/')}${trailingSlash ? '/' : ''}` };
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1; // also NaN past the end of the string
}

function isUnreserved(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
    || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
}
