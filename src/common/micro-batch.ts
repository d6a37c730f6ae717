/**
 * Turns many concurrent single-item writes into few multi-item ones.
 *
 * Items submitted while fewer than `maxInFlight` batches are running go out
 * on the next turn of the event loop, together with everything else that
 * arrived in that turn; items submitted while the limit is reached wait and
 * leave together as soon as a batch finishes. At low load a write waits for
 * nobody; under load batches grow instead of queues. Each caller gets its
 * own result, and a batch that fails rejects every item in it.
 */
export class MicroBatch<Item, Result> {
  private queue: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly limits: { maxBatch: number; maxInFlight: number },
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
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Runs from the one pending setImmediate, which schedule() set up only with a free slot and items. */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.limits.maxBatch);
    this.inFlight++;
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
