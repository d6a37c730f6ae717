export interface MicroBatchLimits {
  /** The most items one write takes. */
  maxBatch: number;
  /** The most writes running at once. */
  maxInFlight: number;
  /**
   * The least time between the starts of two writes (default 0): a batch
   * that could start sooner gathers until then. Writes whose cost is mostly
   * per write (a statement, a round trip) then cost a bounded number per
   * second, and what arrives faster rides along.
   */
  minSpacingMs?: number;
}

/**
 * Turns many concurrent single-item writes into few multi-item ones.
 *
 * Items submitted while fewer than `maxInFlight` batches are running go out
 * on the next turn of the event loop (or, with `minSpacingMs`, once that long
 * has passed since the last write started), together with everything else
 * that arrived meanwhile; items submitted while the limit is reached wait and
 * leave together as soon as a batch finishes (and the spacing allows). At
 * low load a write waits for nobody; under load batches grow instead of
 * queues. Each caller gets its own result, and a batch that fails rejects
 * every item in it.
 */
export class MicroBatch<Item, Result> {
  private queue: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** performance.now() when the last write started. */
  private lastStart = -Infinity;

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly limits: MicroBatchLimits,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.limits.maxInFlight || this.queue.length === 0) {
      return;
    }
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    const wait = this.lastStart + (this.limits.minSpacingMs ?? 0) - performance.now();
    if (wait > 0) {
      // Timers run before the loop reads its sockets: the batch leaves after
      // that read, with what it brought.
      setTimeout(() => setImmediate(run), wait);
    } else {
      setImmediate(run);
    }
  }

  /** Runs from the one pending timer, which schedule() set up only with a free slot and items. */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.limits.maxBatch);
    this.inFlight++;
    this.lastStart = performance.now();
    this.schedule(); // more than one batch queued: a free slot takes the next
    try {
      const results = await this.write(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]));
    } catch (error) {
      batch.forEach((entry) => entry.reject(error));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
