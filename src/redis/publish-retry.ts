import type { Logger } from '@nestjs/common';

/** How a publish leaves: the channel, the encoded broadcast. */
export type Send = (channel: string, message: string | Buffer) => Promise<unknown>;

/**
 * Where publishes go, as far as holding them is concerned. A publish that
 * Redis refused holds back the later ones of its slot (so a channel keeps
 * its order: a channel never leaves its slot, even when the slot moves to
 * another server) and of its server (which is away, most likely); the
 * other servers' publishes go on.
 */
export interface PublishShards {
  /** The channel's hash slot on a Redis Cluster; one slot for everything on a single Redis. */
  slotOf(channel: string): number;
  /** Who serves the slot now (its master's `host:port`), for the log and for probing. */
  serverOf(slot: number): string;
  /** Fulfilled once the server of `channel`'s slot takes a publish again, rejected while it does not. */
  probe(channel: string): Promise<unknown>;
}

export interface PublishRetryOptions {
  /** At most this many publishes wait; beyond it the oldest is dropped (and logged). */
  maxWaiting: number;
  /**
   * How long after a server is back its waiting publishes are held: long
   * enough for every other instance's subscriber to be back too, so the
   * retried broadcasts reach them instead of a Redis nobody listens to yet.
   */
  graceMs: number;
  /** How often a server that refused publishes is asked (probed) whether it takes them again. */
  probeIntervalMs: number;
  logger: Logger;
}

/** What the metrics report. */
export interface HeldPublishes {
  /** Publishes that did not go out at their first try (or their retry) and were held, so far. */
  failures: number;
  /** Publishes waiting now. */
  waiting: number;
}

interface Publish {
  /** Publish order: a publish that failed in flight goes back to its place. */
  order: number;
  channel: string;
  message: string | Buffer;
}

interface Held extends Publish {
  slot: number;
}

/** A server that refused publishes: probed until it answers, then given the grace period. */
interface Outage {
  probing: boolean;
  /** Set once it answered: the grace period before its publishes are sent. */
  returning: NodeJS.Timeout | undefined;
}

/**
 * Publishes of this instance that Redis did not take (its server was away,
 * or the link broke with them in flight), kept in their order and sent
 * again once their server is back. While any wait, later publishes of the
 * same slot and of the same server queue behind them, so every channel
 * keeps the order in which this instance committed its events; on a Redis
 * Cluster the other masters' publishes go out live meanwhile. Only this
 * instance's own broadcasts ever wait here; a receiver that might still
 * have missed one (its own subscription was lost too) is told to resync by
 * its instance (see Backplane.onMissedBroadcasts).
 */
export class PublishRetry {
  /** In publish order, every slot's together (the oldest is dropped first). */
  private waiting: Held[] = [];
  /** Slot → how many of its publishes wait, and a channel of that slot to probe its server with. */
  private readonly heldSlots = new Map<number, { count: number; channel: string }>();
  /** Servers that refused publishes, until theirs are sent again. */
  private readonly outages = new Map<string, Outage>();
  private recovery: NodeJS.Timeout | undefined;
  private nextOrder = 0;
  private dropped = 0;
  private failures = 0;

  constructor(
    private readonly send: Send,
    private readonly isReady: () => boolean,
    private readonly shards: PublishShards,
    private readonly options: PublishRetryOptions,
  ) {}

  /** Resolves once Redis took it, or at once when it has to wait: callers never see a failure. */
  publish(channel: string, message: string | Buffer): Promise<unknown> {
    const item = { order: this.nextOrder++, channel, message };
    if (this.waiting.length === 0 && this.outages.size === 0 && this.isReady()) {
      return this.attempt(item); // nothing held: no slot to look up
    }
    const slot = this.shards.slotOf(channel);
    if (this.heldSlots.has(slot) || this.outages.has(this.shards.serverOf(slot)) || !this.isReady()) {
      this.hold(item);
      return Promise.resolve(0);
    }
    return this.attempt(item);
  }

  /** The link is (back) up: probe the servers now rather than at the next round. */
  linkReady(): void {
    if (this.outages.size > 0) {
      this.recover();
    }
  }

  get held(): HeldPublishes {
    return { failures: this.failures, waiting: this.waiting.length };
  }

  close(): void {
    clearTimeout(this.recovery);
    this.outages.forEach((outage) => clearTimeout(outage.returning));
  }

  private attempt(item: Publish): Promise<unknown> {
    return this.send(item.channel, item.message).catch(() => {
      this.hold(item);
      return 0;
    });
  }

  /** Into its place by publish order, its server marked away; the oldest goes when the buffer is full. */
  private hold(item: Publish): void {
    const held = { ...item, slot: this.shards.slotOf(item.channel) };
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1].order > held.order) {
      at--;
    }
    this.waiting.splice(at, 0, held);
    const slot = this.heldSlots.get(held.slot);
    if (slot) {
      slot.count++;
    } else {
      this.heldSlots.set(held.slot, { count: 1, channel: held.channel });
    }
    this.failures++;
    const server = this.shards.serverOf(held.slot);
    if (!this.outages.has(server)) {
      this.outages.set(server, { probing: false, returning: undefined });
    }
    this.recovery ??= setTimeout(() => this.recover(), this.options.probeIntervalMs).unref();
    if (this.waiting.length > this.options.maxWaiting) {
      this.release(this.waiting.shift()!);
      if (this.dropped++ % 1000 === 0) {
        this.options.logger.warn(
          `Redis away too long: ${this.dropped} held broadcast(s) dropped so far (the oldest first)`,
        );
      }
    }
  }

  /**
   * One round: every server that serves a held slot now (a slot may have
   * moved since) and has not answered yet is probed; then again after the
   * interval, while anything waits.
   */
  private recover(): void {
    clearTimeout(this.recovery);
    this.recovery = undefined;
    const probeWith = new Map<string, string>();
    for (const [slot, { channel }] of this.heldSlots) {
      const server = this.shards.serverOf(slot);
      if (!probeWith.has(server)) {
        probeWith.set(server, channel);
      }
    }
    for (const [server, outage] of this.outages) {
      if (!probeWith.has(server)) {
        clearTimeout(outage.returning); // its slots moved away, or were dropped
        this.outages.delete(server);
      }
    }
    for (const [server, channel] of probeWith) {
      let outage = this.outages.get(server);
      if (!outage) {
        outage = { probing: false, returning: undefined }; // a held slot moved here
        this.outages.set(server, outage);
      }
      if (!outage.probing && !outage.returning) {
        this.probe(server, outage, channel);
      }
    }
    if (this.outages.size > 0) {
      this.recovery = setTimeout(() => this.recover(), this.options.probeIntervalMs).unref();
    }
  }

  private probe(server: string, outage: Outage, channel: string): void {
    outage.probing = true;
    this.shards.probe(channel).then(
      () => {
        outage.probing = false;
        if (this.outages.get(server) === outage) {
          outage.returning = setTimeout(() => this.flush(server, outage), this.options.graceMs).unref();
        }
      },
      () => (outage.probing = false),
    );
  }

  /** The server is back and the grace is over: its publishes go, before anything newer of theirs. */
  private flush(server: string, outage: Outage): void {
    outage.returning = undefined;
    if (!this.isReady()) {
      return; // the next round probes again
    }
    this.outages.delete(server);
    const batch: Held[] = [];
    const others: Held[] = [];
    for (const item of this.waiting) {
      (this.shards.serverOf(item.slot) === server ? batch : others).push(item);
    }
    this.waiting = others;
    batch.forEach((item) => this.release(item));
    if (batch.length > 0) {
      this.options.logger.log(`sending ${batch.length} broadcast(s) held while ${server} was away`);
    }
    // All in this turn: they leave in one write, in order, before anything newer.
    for (const item of batch) {
      void this.attempt(item);
    }
  }

  private release(item: Held): void {
    const slot = this.heldSlots.get(item.slot)!;
    if (--slot.count === 0) {
      this.heldSlots.delete(item.slot);
    }
  }
}
