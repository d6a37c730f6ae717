import { Injectable } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';
import { withTimeout } from '../common/with-timeout.js';
import { AppConfig } from '../config/app-config.js';
import { BackplaneCounters } from './backplane-counters.js';
import { ClusterShardSubscribers } from './cluster-shard-subscribers.js';
import type { HeldPublishes } from './publish-retry.js';
import { RedisConnections } from './redis-connections.js';
import { countDeliveries, ShardedUserAdapter } from './sharded-adapter.js';

/** How long readiness waits for Redis to answer PING. */
const PING_TIMEOUT_MS = 1_000;

export interface BackplaneHealth {
  up: boolean;
  details: Record<string, string>;
}

/**
 * What carries a broadcast from the instance that made it to the sockets of
 * every instance. The mode picks the implementation once (modes.module.ts).
 */
export abstract class Backplane {
  /** For the start-up log. */
  abstract readonly description: string;

  /** Broadcasts received from Redis and packets delivered to this instance's sockets. */
  readonly counters = new BackplaneCounters();

  /** Wires the Socket.IO server so its emits reach every instance's sockets. */
  abstract attach(server: Server): void;

  abstract health(): Promise<BackplaneHealth>;

  /**
   * Calls `listener` whenever this instance's sockets may have missed
   * broadcasts of the others and must be told to resync: all of them
   * (`userRooms` undefined) when its subscription broke and is back, or
   * those of the given users (`user:<id>` rooms). Never, for the
   * in-process backplane.
   */
  abstract onMissedBroadcasts(listener: (userRooms?: readonly string[]) => void): void;

  /** Publishes Redis did not take and that wait for a retry (PublishRetry): so far, and now. */
  abstract heldPublishes(): HeldPublishes;
}

/** No Redis: Socket.IO's in-memory adapter, so one instance only. */
@Injectable()
export class InProcessBackplane extends Backplane {
  readonly description = 'in this process only (no REDIS_URL): run a single instance';

  attach(server: Server): void {
    // The default adapter already delivers within the process; only count.
    countDeliveries(server.of('/').adapter, this.counters);
  }

  onMissedBroadcasts(): void {} // nothing between instances to miss

  heldPublishes(): HeldPublishes {
    return { failures: 0, waiting: 0 }; // nothing is published
  }

  health(): Promise<BackplaneHealth> {
    return Promise.resolve({ up: true, details: { mode: 'not configured: single instance' } });
  }
}

/**
 * Broadcasts through Redis: sharded pub/sub with a channel per user (each
 * instance receives its own users' events only), or the classic Socket.IO
 * Redis adapter (every instance receives every broadcast). REDIS_PUBSUB picks.
 */
@Injectable()
export class RedisBackplane extends Backplane {
  readonly description: string;
  private readonly sharded: boolean;
  /** The sharded adapters (one per namespace), to subscribe again after an outage. */
  private readonly shardedAdapters: ShardedUserAdapter[] = [];
  private readonly missedListeners: ((userRooms: readonly string[]) => void)[] = [];

  constructor(
    private readonly redis: RedisConnections,
    private readonly config: AppConfig,
  ) {
    super();
    this.sharded = config.redisPubSub === 'sharded';
    this.description = this.sharded
      ? `through Redis at ${redis.host}, sharded pub/sub: one channel per user`
      : `through Redis at ${redis.host}, classic adapter: every broadcast to every instance`;
  }

  attach(server: Server): void {
    const create = this.sharded ? this.shardedFactory() : this.classicFactory();
    const counters = this.counters;
    // Socket.IO calls it with `new`: a function, not an arrow, whose returned object wins.
    function counted(nsp: unknown): Adapter {
      const adapter = create(nsp);
      countDeliveries(adapter, counters);
      return adapter;
    }
    server.adapter(counted as unknown as Parameters<Server['adapter']>[0]);
  }

  /**
   * One channel per user; each adapter counts what it publishes and
   * receives itself. On one Redis the users only this instance holds skip
   * Redis (LoneUsers); a Redis Cluster drops subscriptions unannounced
   * when a slot moves, which that protocol cannot tell from a user left.
   */
  private shardedFactory(): (nsp: unknown) => Adapter {
    const { spublish, shardSub, cluster, pub } = this.redis;
    const publishNow = (channel: string, message: string) => pub.spublish(channel, message).then(Number);
    const missed = (room: string) => this.missedListeners.forEach((listener) => listener([room]));
    const skip = this.config.skipLoneUsers;
    return (nsp) => {
      const adapter = new ShardedUserAdapter(nsp, spublish, shardSub, this.counters, {
        loneUsers: cluster ? undefined : { skip, missed, publishNow },
      });
      this.shardedAdapters.push(adapter);
      return adapter;
    };
  }

  /** Socket.IO's Redis adapter, counted at the publish and subscribe links it uses and nothing else. */
  private classicFactory(): (nsp: unknown) => Adapter {
    const { pub, sub } = this.redis;
    const received = () => this.counters.redisBroadcastsReceived++;
    sub.on('pmessageBuffer', received);
    sub.on('messageBuffer', received);
    const publish = pub.publish.bind(pub);
    Object.assign(pub, {
      publish: (channel: string, message: string) => {
        this.counters.redisPublishes++;
        return publish(channel, message);
      },
    });
    return createAdapter(pub, sub) as (nsp: unknown) => Adapter;
  }

  /** Only once every channel this instance needs is subscribed again, so a resync misses nothing later. */
  onMissedBroadcasts(listener: (userRooms?: readonly string[]) => void): void {
    this.missedListeners.push(listener);
    this.redis.onResubscribed(() => {
      void Promise.all(this.shardedAdapters.map((adapter) => adapter.resubscribe())).then(() => listener());
    });
  }

  heldPublishes(): HeldPublishes {
    return this.redis.heldPublishes;
  }

  /**
   * Up when the command connection answers and the adapter's pub/sub links
   * are connected (on a cluster, the sharded subscriber's link to every
   * master too: those carry the broadcasts). A Redis that hangs instead of
   * refusing is down after PING_TIMEOUT_MS, not a readiness probe left
   * waiting (and counted as work a shutdown waits for).
   */
  async health(): Promise<BackplaneHealth> {
    const { shardSub } = this.redis;
    const links = {
      pub: this.redis.pub.status,
      sub: this.redis.sub.status,
      ...(shardSub instanceof ClusterShardSubscribers && { shards: shardSub.status }),
    };
    try {
      await withTimeout(this.redis.commands.ping(), PING_TIMEOUT_MS, () => {
        throw new Error(`Redis did not answer PING within ${PING_TIMEOUT_MS} ms`);
      });
    } catch (error) {
      return { up: false, details: { message: (error as Error).message, ...links } };
    }
    return { up: Object.values(links).every((status) => status === 'ready'), details: links };
  }
}
