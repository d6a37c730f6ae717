export interface MicroBatchLimits {
  /** The most items one write takes. */
  maxBatch: number;
  /** The most writes running at once. */
  maxInFlight: number;
  /**
   * The least time between the starts of two writes (default 0): a batch
   * that could start sooner gathers until then, and starts with the first
   * item submitted after it (or, when none comes, half as long again after
   * it). Writes whose cost is mostly per write (a statement, a round trip)
   * then cost a bounded number per second, and what arrives faster rides
   * along.
   */
  minSpacingMs?: number;
}

/**
 * Turns many concurrent single-item writes into few multi-item ones.
 *
 * Items submitted while fewer than `maxInFlight` batches are running go out
 * on the next turn of the event loop (or, with `minSpacingMs`, once that long
 * has passed since the last write started, see there), together with
 * everything else that arrived meanwhile; items submitted while the limit is
 * reached wait and leave together as soon as a batch finishes (and the
 * spacing allows). At low load a write waits for nobody; under load
 * batches grow instead of queues. Each caller gets its own result, and a
 * batch that fails rejects every item in it.
 */
export class MicroBatch<Item, Result> {
  private queue: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  /** A write will start on the next check phase of the loop (setImmediate). */
  private starting = false;
  /** The spacing's fallback timer, while the next write waits for it. */
  private timer: NodeJS.Timeout | undefined;
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

  /**
   * Under the spacing, the next write starts with the first item submitted
   * after it ran out, in the same wake-up of the loop; only when none comes
   * does a timer start it, at 1.5 times the spacing. Under load that saves
   * the instance a wake-up per write (a timer firing between two reads).
   */
  private schedule(): void {
    if (this.starting || this.inFlight >= this.limits.maxInFlight || this.queue.length === 0) {
      return;
    }
    const spacing = this.limits.minSpacingMs ?? 0;
    const wait = this.lastStart + spacing - performance.now();
    if (wait <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.starting = true;
      // After the loop has read its sockets: what that read brought rides along.
      setImmediate(() => {
        this.starting = false;
        void this.flush();
      });
    } else {
      this.timer ??= setTimeout(
        () => {
          this.timer = undefined;
          this.schedule();
        },
        wait + spacing / 2,
      );
    }
  }

  /** Runs from the one pending immediate, which schedule() set up only with a free slot and items. */
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
