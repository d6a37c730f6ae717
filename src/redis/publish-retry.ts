import type { Logger } from '@nestjs/common';

/** How a publish leaves: the channel, the encoded broadcast. */
export type Send = (channel: string, message: string | Buffer) => Promise<unknown>;

export interface PublishRetryOptions {
  /** At most this many publishes wait; beyond it the oldest is dropped (and logged). */
  maxWaiting: number;
  /**
   * How long after the link is back the waiting publishes are held: long
   * enough for every other instance's subscriber to be back too, so the
   * retried broadcasts reach them instead of a Redis nobody listens to yet.
   */
  graceMs: number;
  logger: Logger;
}

interface Waiting {
  /** Publish order: a publish that failed in flight goes back to its place. */
  order: number;
  channel: string;
  message: string | Buffer;
}

/**
 * Publishes of this instance that Redis did not take (it was away, or the
 * link broke with them in flight), kept in their order and sent again once
 * the link is back. While any wait, new publishes queue behind them, so
 * every channel keeps the order in which this instance committed its
 * events. Only this instance's own broadcasts ever wait here; a receiver
 * that might still have missed one (its own subscription was lost too) is
 * told to resync by its instance (see Backplane.onResubscribed).
 */
export class PublishRetry {
  private readonly waiting: Waiting[] = [];
  private nextOrder = 0;
  private dropped = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: Send,
    private readonly isReady: () => boolean,
    private readonly options: PublishRetryOptions,
  ) {}

  /** Resolves once Redis took it, or at once when it has to wait: callers never see a failure. */
  publish(channel: string, message: string | Buffer): Promise<unknown> {
    const item = { order: this.nextOrder++, channel, message };
    if (this.waiting.length > 0 || !this.isReady()) {
      this.wait(item);
      return Promise.resolve(0);
    }
    return this.attempt(item);
  }

  /** The link is (back) up: send what waits after the grace period. */
  linkReady(): void {
    if (this.waiting.length > 0 && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.options.graceMs);
      this.flushTimer.unref();
    }
  }

  /** How many publishes wait now. */
  get pending(): number {
    return this.waiting.length;
  }

  close(): void {
    clearTimeout(this.flushTimer);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (!this.isReady()) {
      return; // the next linkReady() tries again
    }
    const batch = this.waiting.splice(0);
    if (batch.length > 0) {
      this.options.logger.log(`sending ${batch.length} broadcast(s) held while Redis was away`);
    }
    // All in this turn: they leave in one write, in order, before anything newer.
    for (const item of batch) {
      void this.attempt(item);
    }
  }

  private attempt(item: Waiting): Promise<unknown> {
    return this.send(item.channel, item.message).catch(() => {
      this.wait(item);
      if (this.isReady()) {
        this.linkReady(); // failed on a link that is up again already
      }
      return 0;
    });
  }

  /** Into its place by publish order; the oldest goes when the buffer is full. */
  private wait(item: Waiting): void {
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1].order > item.order) {
      at--;
    }
    this.waiting.splice(at, 0, item);
    if (this.waiting.length > this.options.maxWaiting) {
      this.waiting.shift();
      if (this.dropped++ % 1000 === 0) {
        this.options.logger.warn(
          `Redis away too long: ${this.dropped} held broadcast(s) dropped so far (the oldest first)`,
        );
      }
    }
  }
}
