// The `scope` parameter of a token request narrows what a token carries (UAA: the requested
// scopes the client and user have; none of them → invalid_scope). Pure.

export type ScopeDecision = { ok: true; scopes: string[] } | { ok: false; reason: string };

/** `requested` is the space-separated `scope` parameter; absent or empty = everything granted. */
export function narrowScopes(granted: readonly string[], requested: string | undefined): ScopeDecision {
  const asked = (requested ?? '').split(/\s+/).filter((s) => s !== '');
  if (asked.length === 0) return { ok: true, scopes: [...granted] };
  const wanted = new Set(asked);
  const scopes = granted.filter((s) => wanted.has(s));
  if (scopes.length === 0) {
    return { ok: false, reason: `Invalid scope: ${[...wanted].join(' ').slice(0, 200)}. None of them is granted; granted are: ${granted.join(' ')}` };
  }
  return { ok: true, scopes };
}
