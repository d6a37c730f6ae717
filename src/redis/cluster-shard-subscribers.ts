import { EventEmitter } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';

/** What the sharded adapter subscribes through: one Redis, or one link per shard of a cluster. */
export interface ShardedSubscriber {
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  on(event: 'smessageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
}

/** What a subscription's race answers when its master refused it with -MOVED. */
const MOVED = Symbol('moved');
/** How many times one subscription follows its slot to another master before it gives up. */
const MAX_MOVES = 3;

/**
 * Sharded subscriptions on a Redis Cluster: one plain connection per master
 * that serves a channel of ours, each subscribing to the channels of its
 * slots. A plain connection reconnects to its master by itself and
 * subscribes again (ioredis's own sharded subscribers were seen to drop a
 * shard for good when its master died and came back), and reports
 * `resubscribed` once it has: the instance then tells its sockets to
 * resync. When the cluster's slot map moves a slot to another master
 * (failover, resharding), its channels move with it, and the instance
 * resyncs too: the old master dropped them when it let the slot go, and
 * what was published on the new one before they got there never arrived.
 */
export class ClusterShardSubscribers extends EventEmitter implements ShardedSubscriber {
  private readonly links = new Map<string, Redis>();
  /**
   * Per master, settles the next time it answers a subscription with -MOVED
   * (the slot map here is behind). ioredis reports that as an event on the
   * link and never settles the command, which would leave the join waiting.
   */
  private readonly moved = new Map<string, Promise<typeof MOVED>>();
  /** Channel → the master (`host:port`) it is subscribed on. */
  private readonly subscribedOn = new Map<string, string>();

  constructor(
    /** A connected cluster client: its slot map says which master serves a channel. */
    private readonly cluster: Cluster,
    private readonly options: RedisOptions,
  ) {
    super();
    cluster.on('refresh', () => this.followSlots());
  }

  /** `ready` while every shard link is. */
  get status(): string {
    return [...this.links.values()].every((l) => l.status === 'ready') ? 'ready' : 'reconnecting';
  }

  async ssubscribe(channel: string): Promise<unknown> {
    for (let moves = 0; ; moves++) {
      const node = this.masterOf(channel);
      this.subscribedOn.set(channel, node);
      const link = this.link(node);
      const answer = await Promise.race([link.ssubscribe(channel), this.moved.get(node)]);
      if (answer !== MOVED) {
        return answer;
      }
      if (moves === MAX_MOVES) {
        throw new Error(`the slot of ${channel} kept moving`);
      }
      await new Promise<void>((resolve, reject) =>
        this.cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
      );
    }
  }

  async sunsubscribe(channel: string): Promise<unknown> {
    const node = this.subscribedOn.get(channel);
    this.subscribedOn.delete(channel);
    return node === undefined ? 0 : this.links.get(node)?.sunsubscribe(channel);
  }

  async quit(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.quit().catch(() => l.disconnect())));
  }

  private masterOf(channel: string): string {
    const [master] = this.cluster.slots[calculateSlot(channel)] ?? [];
    if (master === undefined) {
      throw new Error(`no master serves the slot of ${channel} yet`);
    }
    return master;
  }

  private link(node: string): Redis {
    let link = this.links.get(node);
    if (link) {
      return link;
    }
    const at = node.lastIndexOf(':');
    link = new Redis({ ...this.options, host: node.slice(0, at), port: Number(node.slice(at + 1)) });
    link.on('error', () => undefined); // the cluster client logs the outage
    const armMoved = () =>
      this.moved.set(
        node,
        new Promise((resolve) =>
          link.once('moved', () => {
            armMoved();
            resolve(MOVED);
          }),
        ),
      );
    armMoved();
    link.on('smessageBuffer', (channel: Buffer, message: Buffer) =>
      this.emit('smessageBuffer', channel, message),
    );
    let broken = false;
    link.on('close', () => (broken = true));
    link.on('ready', () => {
      if (broken) {
        broken = false;
        // ioredis subscribes again right after `ready`: a PING on the next turn answers after it.
        setImmediate(() => {
          link.ping().then(
            () => this.emit('resubscribed'),
            () => undefined,
          );
        });
      }
    });
    this.links.set(node, link);
    return link;
  }

  /** Channels whose slot another master serves now move there; then the instance resyncs. */
  private followSlots(): void {
    const moving: Promise<unknown>[] = [];
    for (const [channel, node] of this.subscribedOn) {
      let master: string;
      try {
        master = this.masterOf(channel);
      } catch {
        continue;
      }
      if (master !== node) {
        this.links
          .get(node)
          ?.sunsubscribe(channel)
          .catch(() => undefined);
        moving.push(this.ssubscribe(channel).catch(() => undefined));
      }
    }
    if (moving.length > 0) {
      void Promise.all(moving).then(() => this.emit('resubscribed'));
    }
  }
}
