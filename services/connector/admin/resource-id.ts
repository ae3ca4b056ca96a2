// The resource ID in an admin API URL (scc-rest-api.md §2.4): neither base64 nor plain URL
// encoding, but SAP's own escape, applied in this order: `+` → `+2B`, `-` → `+2D`, `/` → `-`
// (`/sap/opu/odata` → `-sap-opu-odata`, `/a-b` → `-a+2Db`). SAP documents no decoder: after
// percent-decoding the path segment, one left-to-right pass maps `-` → `/`, `+2D` → `-`,
// `+2B` → `+` (after encoding, every `+` starts an escape). A `+` followed by anything else is
// not an encoded ID: undefined.

export function encodeResourceId(id: string): string {
  return id.replace(/\+/g, '+2B').replace(/-/g, '+2D').replace(/\//g, '-');
}

/** The resource ID of a URL path segment as the router hands it over (already percent-decoded). */
export function decodeResourceId(segment: string): string | undefined {
  let out = '';
  for (let i = 0; i < segment.length; i += 1) {
    const c = segment[i];
    if (c === '-') out += '/';
    else if (c !== '+') out += c;
    else {
      const escape = segment.slice(i + 1, i + 3).toUpperCase();
      if (escape === '2D') out += '-';
      else if (escape === '2B') out += '+';
      else return undefined;
      i += 2;
    }
  }
  return out;
}
