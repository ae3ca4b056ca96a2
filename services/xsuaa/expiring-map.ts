// A bounded in-memory map whose entries expire: the store under authorization codes, refresh
// tokens and login sessions. Keys are secrets handed to clients (random, unguessable); an expired
// entry reads as absent and is dropped; past `maxEntries` the oldest entry goes first. The clock is
// injectable so tests move time instead of waiting.

export interface ExpiringMapOptions {
  maxEntries?: number;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
}

export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  readonly now: () => number;

  constructor(opts: ExpiringMapOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** The live value, or undefined (unknown or expired; an expired entry is dropped). */
  get(key: string): V | undefined {
    const found = this.entries.get(key);
    if (found === undefined) return undefined;
    if (found.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return found.value;
  }

  /** Removes the entry and says what it was: `expired` entries are reported as such, once. */
  take(key: string): { found: 'live'; value: V } | { found: 'expired'; value: V } | { found: 'none' } {
    const entry = this.entries.get(key);
    if (entry === undefined) return { found: 'none' };
    this.entries.delete(key);
    return entry.expiresAt <= this.now() ? { found: 'expired', value: entry.value } : { found: 'live', value: entry.value };
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
