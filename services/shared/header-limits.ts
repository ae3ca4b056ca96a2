// Header limits, one table for every hop (issue 11, defect 6): what the HTTP/1 side accepts, the
// tunnel carries. Every HTTP/1 listener takes at most MAX_HEADER_BYTES of head (Node's default, set
// explicitly) and the proxy refuses more than MAX_HEADER_COUNT fields with 431; the connector
// refuses a backend response over either limit with 502; both tunnel ends accept any head within
// them. Node's parsers are told to keep PARSER_MAX_HEADERS_COUNT fields, above MAX_HEADER_COUNT, so
// a head over the limit is always seen as over it — set explicitly: left at its default, Node 20
// drops fields beyond ~1000 silently and Node 22's server refuses more than 1000 as a header
// overflow, so neither would say which limit was hit.
export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_HEADER_COUNT = 1000;
/** `maxHeadersCount` of the HTTP/1 parsers that must see a head over MAX_HEADER_COUNT as over it (the proxy's listener, the connector's carrier server). */
export const PARSER_MAX_HEADERS_COUNT = 2 * MAX_HEADER_COUNT;

/** HTTP/2 entries of one head on the tunnel: the fields plus pseudo-headers and the few the simulator adds. */
export const TUNNEL_MAX_HEADER_PAIRS = MAX_HEADER_COUNT + 64;
/**
 * SETTINGS_MAX_HEADER_LIST_SIZE of both tunnel ends. HTTP/2 counts 32 bytes per entry on top of
 * name and value: a head within the limits above is at most 16 KiB + 1064 × 32 B ≈ 50 KiB, plus
 * the principal header the proxy adds (a token's claims, itself within 16 KiB).
 */
export const TUNNEL_MAX_HEADER_LIST_SIZE = 256 * 1024;

/** Whether a parsed head (`rawHeaders`: name, value, name, value, …) has more fields than allowed. */
export function tooManyHeaders(rawHeaders: { readonly length: number }): boolean {
  return rawHeaders.length > 2 * MAX_HEADER_COUNT;
}
