// Caches token decisions by token string, for verifiers that run on every proxied request:
//   - a cache hit is answered SYNCHRONOUSLY (a decision, not a Promise); `expiresAt` is re-checked
//     against the clock on every hit;
//   - a miss returns a Promise; concurrent misses for the same token share one decision;
//   - successes are kept until they expire or the cache is full (oldest dropped first); failures
//     are kept for `failureTtlMs`; `clear()` forgets everything (call it when clients or keys change).
import { CLOCK_TOLERANCE_SECONDS, MAX_TOKEN_LENGTH } from './jwt-checks.js';

/** `expiresAt` is the token's `exp` in epoch MILLISECONDS. */
export type CacheableDecision = { ok: true; expiresAt: number } | { ok: false; reason: string };

export interface DecisionCacheOptions {
  /** Clock in epoch milliseconds; default Date.now. */
  now?: () => number;
  cacheSize?: number;
  failureCacheSize?: number;
  failureTtlMs?: number;
}

export interface DecisionCache<D extends CacheableDecision> {
  /** Synchronous on a cache hit, a Promise otherwise. Never throws or rejects if `decide` does not. */
  verify(token: string): D | Promise<D>;
  /** The cached decision (expiry re-checked), or undefined when the token must be decided. */
  verifyCached(token: string): D | undefined;
  clear(): void;
}

export function createDecisionCache<D extends CacheableDecision>(
  decide: (token: string) => Promise<D>, opts: DecisionCacheOptions = {},
): DecisionCache<D> {
  const now = opts.now ?? Date.now;
  const maxOk = opts.cacheSize ?? 10_000;
  const maxFailed = opts.failureCacheSize ?? 1_000;
  const failureTtlMs = opts.failureTtlMs ?? 10_000;
  const passed = new Map<string, D & { ok: true }>();
  const failed = new Map<string, { decision: D; until: number }>();
  const pending = new Map<string, Promise<D>>();
  let generation = 0;

  function remember<V>(map: Map<string, V>, max: number, key: string, value: V): void {
    if (key.length > MAX_TOKEN_LENGTH) return;
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }

  function verifyCached(token: string): D | undefined {
    const hit = passed.get(token);
    if (hit !== undefined) {
      if (now() < hit.expiresAt + CLOCK_TOLERANCE_SECONDS * 1000) return hit;
      passed.delete(token);
      const expired = { ok: false, reason: 'token expired' } as D;
      remember(failed, maxFailed, token, { decision: expired, until: Number.POSITIVE_INFINITY });
      return expired;
    }
    const miss = failed.get(token);
    if (miss === undefined) return undefined;
    if (now() < miss.until) return miss.decision;
    failed.delete(token);
    return undefined;
  }

  async function decideAndRemember(token: string): Promise<D> {
    const started = generation;
    const decision = await decide(token);
    if (started !== generation) return decision; // clear() ran meanwhile: the decision is not kept
    if (decision.ok) remember(passed, maxOk, token, decision as D & { ok: true });
    else remember(failed, maxFailed, token, { decision, until: now() + failureTtlMs });
    return decision;
  }

  return {
    verify(token) {
      const cached = verifyCached(token);
      if (cached !== undefined) return cached;
      const inFlight = pending.get(token);
      if (inFlight !== undefined) return inFlight;
      const p = decideAndRemember(token).finally(() => { if (pending.get(token) === p) pending.delete(token); });
      pending.set(token, p);
      return p;
    },
    verifyCached,
    clear() {
      generation++;
      pending.clear();
      passed.clear();
      failed.clear();
    },
  };
}
