// A bounded list of the most recent entries (monitoring's "Most Recent Requests", the audit
// entries the admin API shows). The slots are made once: record() hands out the oldest slot to be
// filled in place, so keeping the last N entries allocates nothing per entry.
export class Ring<T extends object> {
  readonly #slots: T[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number, make: () => T) {
    this.#slots = Array.from({ length: capacity }, make);
  }

  /** The slot to overwrite with the newest entry (the oldest one once the ring is full). */
  record(): T {
    const slot = this.#slots[this.#next];
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size += 1;
    return slot;
  }

  /** Copies of the entries, newest first. */
  list(): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.#size; i += 1) out.push({ ...this.#slots[(this.#next - i + this.capacity) % this.capacity] });
    return out;
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#size = 0;
    this.#next = 0;
  }
}
