import { EventEmitter } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { withTimeout } from '../common/with-timeout.js';

/** What the sharded adapter subscribes through: one Redis, or one link per shard of a cluster. */
export interface ShardedSubscriber {
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  on(event: 'smessageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  /** The subscriber link broke (one Redis; a cluster's links report `resubscribed` instead). */
  on(event: 'close', listener: () => void): unknown;
}

/** What a subscription's race answers when its master refused a subscription with -MOVED. */
const MOVED = Symbol('moved');
/** What it answers when the slot map, read again, names another master for its channel. */
const REROUTED = Symbol('rerouted');
/** How many times one subscription follows its slot to another master before it gives up. */
const MAX_MOVES = 3;
const NEVER = new Promise<never>(() => undefined);
/** How long QUIT may wait for a link's queued commands before the link is just dropped. */
const QUIT_TIMEOUT_MS = 1_000;

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
  /** Channel → how to wake each of its subscriptions still waiting for an answer, when the map moves it. */
  private readonly waiting = new Map<string, Set<() => void>>();

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

  /**
   * Resolves once the master that serves the channel's slot confirmed it.
   * A -MOVED from that master (ioredis names no channel: maybe this one)
   * sends it to read the slot map again; when the map names another master
   * for it, it asks that one. Until then it keeps waiting for its answer,
   * which a master that is away gives once it is back.
   */
  async ssubscribe(channel: string): Promise<unknown> {
    let wake: () => void = () => undefined;
    const rerouted = () => new Promise<typeof REROUTED>((resolve) => (wake = () => resolve(REROUTED)));
    const wakers = this.waiting.get(channel) ?? new Set();
    this.waiting.set(channel, wakers);
    const waker = () => wake();
    wakers.add(waker);
    try {
      let node: string | undefined;
      let asked: Promise<unknown> = Promise.resolve();
      for (let moves = 0; ;) {
        if (node !== undefined && !this.subscribedOn.has(channel)) {
          return 0; // unsubscribed meanwhile: not asked again anywhere
        }
        const master = this.masterOf(channel);
        if (master !== node) {
          if (node !== undefined && ++moves > MAX_MOVES) {
            throw new Error(`the slot of ${channel} kept moving`);
          }
          node = master;
          this.subscribedOn.set(channel, node);
          asked = this.link(node).ssubscribe(channel);
        }
        const answer = await Promise.race([asked, this.moved.get(node) ?? NEVER, rerouted()]);
        if (answer === MOVED) {
          // Unreadable now: the next periodic read reroutes it.
          await this.refreshSlots().catch(() => undefined);
        } else if (answer !== REROUTED) {
          return answer;
        }
      }
    } finally {
      wakers.delete(waker);
      if (wakers.size === 0) {
        this.waiting.delete(channel);
      }
    }
  }

  async sunsubscribe(channel: string): Promise<unknown> {
    const node = this.subscribedOn.get(channel);
    this.subscribedOn.delete(channel);
    return node === undefined ? 0 : this.links.get(node)?.sunsubscribe(channel);
  }

  /** A link that is away (its master gone, or not back yet) is dropped: QUIT would wait behind its queue. */
  async quit(): Promise<void> {
    await Promise.all([...this.links.values()].map(closeLink));
  }

  private refreshSlots(): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
    );
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

  /**
   * Channels whose slot another master serves now move there, and once
   * they are subscribed there the instance resyncs. A subscription still
   * waiting for its answer is only woken to ask the new master: whoever
   * asked for it (a join, a resubscribe) resyncs after it anyway.
   */
  private followSlots(): void {
    const moving: Promise<unknown>[] = [];
    for (const [channel, node] of this.subscribedOn) {
      let master: string;
      try {
        master = this.masterOf(channel);
      } catch {
        continue;
      }
      if (master === node) {
        continue;
      }
      const waiting = this.waiting.get(channel);
      if (waiting) {
        waiting.forEach((wake) => wake());
        continue;
      }
      this.links
        .get(node)
        ?.sunsubscribe(channel)
        .catch(() => undefined);
      moving.push(this.ssubscribe(channel).catch(() => undefined));
    }
    this.dropUnusedLinks();
    if (moving.length > 0) {
      void Promise.all(moving).then(() => this.emit('resubscribed'));
    }
  }

  /** Links to masters that serve none of our channels any more (a master that failed over keeps reconnecting otherwise). */
  private dropUnusedLinks(): void {
    const used = new Set(this.subscribedOn.values());
    for (const [node, link] of this.links) {
      if (!used.has(node)) {
        this.links.delete(node);
        this.moved.delete(node);
        void closeLink(link);
      }
    }
  }
}

function closeLink(link: Redis): Promise<unknown> {
  if (link.status !== 'ready') {
    link.disconnect();
    return Promise.resolve();
  }
  const quit = link.quit().then(() => undefined);
  return withTimeout(quit, QUIT_TIMEOUT_MS, () => link.disconnect()).catch(() => link.disconnect());
}
