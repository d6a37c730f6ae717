/**
 * A map that keeps at most `maxWeight` in total (an entry weighs what
 * `weigh` says, at least 1), dropping the least recently used entries first.
 * Bounding by weight rather than count keeps memory bounded when entries
 * differ in size by 100×.
 */
export class LruCache<Key, Value> {
  // Maps iterate in insertion order; an entry used is moved to the end.
  private readonly entries = new Map<Key, { value: Value; weight: number }>();
  private weight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: Value) => number = () => 1,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get totalWeight(): number {
    return this.weight;
  }

  get(key: Key): Value | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry?.value;
  }

  set(key: Key, value: Value): void {
    this.delete(key);
    const weight = Math.max(1, this.weigh(value));
    this.entries.set(key, { value, weight });
    this.weight += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.weight <= this.maxWeight || oldest === key) {
        break;
      }
      this.entries.delete(oldest);
      this.weight -= entry.weight;
    }
  }

  /** Without making the entry recently used. */
  peek(key: Key): Value | undefined {
    return this.entries.get(key)?.value;
  }

  delete(key: Key): void {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.weight -= entry.weight;
    }
  }
}
