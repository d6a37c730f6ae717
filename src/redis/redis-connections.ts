import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { watchHeartbeat } from './subscriber-heartbeat.js';
import { ClusterShardSubscribers, type ShardedSubscriber } from './cluster-shard-subscribers.js';
import { PublishRetry, type HeldPublishes, type PublishShards } from './publish-retry.js';
import { oneWritePerTurn } from './one-write-per-turn.js';
import { clusterSlots, oneServer } from './publish-shards.js';
import { parseRedisTarget, type RedisTarget } from './redis-target.js';

/** One Redis or a Redis Cluster: the same commands either way (keys that meet in a script share a hash tag). */
export type RedisClient = Redis | Cluster;

/** The longest wait between two attempts to reconnect to Redis. */
export const MAX_RECONNECT_DELAY_MS = 2_000;
/**
 * The same for the broadcast links (publish, subscribe): shorter, because a
 * broadcast held while Redis was away waits for every instance's subscriber
 * to be back (PublishRetry's grace), and that wait is this plus a margin.
 */
const BROADCAST_RECONNECT_DELAY_MS = 1_000;

/**
 * How often a cluster client reads the slot map without being told to.
 * A master that hands a slot over (resharding) drops the sharded
 * subscriptions of its channels and says so only in a reply ioredis
 * cannot place; reading the map is how an instance finds out and follows
 * (ClusterShardSubscribers), within this long.
 */
export const SLOTS_REFRESH_MS = 2_000;
/** Broadcasts held while Redis is away, at most (about a minute of a busy instance's sends). */
const MAX_HELD_BROADCASTS = 50_000;
/**
 * How often a Redis server that refused publishes is asked whether it takes
 * them again. A PING to a single Redis that is away fails at once; an
 * SPUBLISH to a dead master of a cluster takes about a second to fail
 * (ioredis follows its redirections first), and only one is out per master.
 */
const PROBE_INTERVAL_MS = 250;

/**
 * The Redis connections of an instance in Redis mode: commands (rate limits,
 * health) and the Socket.IO adapter's publish and subscribe links. Opened
 * before the app listens (the adapter subscribes as the server is built),
 * closed at shutdown after the sockets.
 */
export class RedisConnections implements OnApplicationShutdown {
  private constructor(
    /** `host:port` (or the cluster's seed nodes), for the start-up log. */
    readonly host: string,
    /** Keys may live on different shards: a multi-key call groups them by slot. */
    readonly cluster: boolean,
    readonly commands: RedisClient,
    readonly pub: RedisClient,
    readonly sub: RedisClient,
    private readonly held: PublishRetry[],
    /** SPUBLISH, held and retried like PUBLISH but per slot on a cluster (the sharded adapter's publish). */
    readonly spublish: (channel: string, message: string) => Promise<unknown>,
    /** SSUBSCRIBE: the subscriber link itself, or on a cluster one link per shard. */
    readonly shardSub: ShardedSubscriber,
  ) {
    const resubscribed = () => this.resubscribedListeners.forEach((listener) => listener());
    watchSubscription(sub, resubscribed);
    // On one Redis; a cluster client's PING goes to any node, not down its subscriber link.
    this.stopHeartbeat =
      sub instanceof Redis && commands instanceof Redis ? watchHeartbeat(sub, commands) : () => undefined;
    if (shardSub instanceof ClusterShardSubscribers) {
      shardSub.on('resubscribed', resubscribed);
    }
  }

  private readonly resubscribedListeners: (() => void)[] = [];
  private readonly stopHeartbeat: () => void;

  static async open(url: string): Promise<RedisConnections> {
    const target = parseRedisTarget(url);
    const broadcastLink = { reconnectCapMs: BROADCAST_RECONNECT_DELAY_MS };
    const [commands, [pub, held, sharded], sub] = await Promise.all([
      waitReady(connectRedis(target, 'commands')),
      // Publishes issued in the same turn leave in one write: corked on one
      // Redis (retryFailedPublishes), auto-pipelined per master on a cluster.
      retryFailedPublishes(connectRedis(target, 'pub', { autoPipelining: target.cluster, ...broadcastLink })),
      // Named apart from the other instances' so its heartbeat can end it on the server (CLIENT KILL).
      waitReady(connectRedis(target, `sub-${randomBytes(4).toString('hex')}`, broadcastLink)),
    ]);
    const spublish = (channel: string, message: string) => sharded.publish(channel, message);
    const shardSub = target.cluster
      ? new ClusterShardSubscribers(commands as Cluster, {
          connectionName: 'ssub',
          username: target.username,
          password: target.password,
          // A subscription asked for while its master is away waits for it.
          maxRetriesPerRequest: null,
          retryStrategy: (attempt) => Math.min(attempt * 100, BROADCAST_RECONNECT_DELAY_MS),
        })
      : sub;
    return new RedisConnections(
      target.host,
      target.cluster,
      commands,
      pub,
      sub,
      [held, sharded],
      spublish,
      shardSub,
    );
  }

  /**
   * Called each time the subscriber link is back after it broke and has
   * subscribed again: broadcasts made meanwhile by the other instances may
   * never have reached this one.
   */
  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  /** Publishes Redis did not take and that were held for a retry: so far, and waiting now. */
  get heldPublishes(): HeldPublishes {
    return this.held.reduce(
      (sum, h) => ({ failures: sum.failures + h.held.failures, waiting: sum.waiting + h.held.waiting }),
      { failures: 0, waiting: 0 },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopHeartbeat();
    this.held.forEach((h) => h.close());
    // Auto-pipelined publishes (a cluster's) leave on the next setImmediate;
    // QUIT is sent at once and would overtake (and fail) the last broadcasts of shutdown.
    await new Promise((resolve) => setImmediate(resolve));
    const clients = [this.commands, this.pub, this.sub];
    if (this.shardSub instanceof ClusterShardSubscribers) {
      await this.shardSub.quit();
    }
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

interface LinkOptions {
  /** The longest wait between two reconnection attempts (default MAX_RECONNECT_DELAY_MS). */
  reconnectCapMs?: number;
  autoPipelining?: boolean;
}

/** A Redis (or Redis Cluster) connection that logs its failures instead of crashing the process. */
function connectRedis(target: RedisTarget, name: string, link: LinkOptions = {}): RedisClient {
  const logger = new Logger(`Redis:${name}`);
  const cap = link.reconnectCapMs ?? MAX_RECONNECT_DELAY_MS;
  const retryStrategy = (attempt: number) => Math.min(attempt * (cap / 10), cap);
  const options: RedisOptions = {
    connectionName: name,
    // Commands fail at once while Redis is away instead of queueing behind a
    // reconnect: callers decide how to degrade.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy,
    enableAutoPipelining: link.autoPipelining ?? false,
  };
  let client: RedisClient;
  if (target.cluster) {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: link.autoPipelining ?? false,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      redisOptions: {
        connectionName: name,
        maxRetriesPerRequest: 1,
        username: target.username,
        password: target.password,
      },
    };
    client = new Cluster(target.nodes, clusterOptions);
  } else {
    client = new Redis(target.url, options);
  }
  let lastError = '';
  client.on('error', (error: Error) => {
    if (error.message !== lastError) {
      logger.warn(`connection error: ${error.message}`);
      lastError = error.message;
    }
  });
  client.on('ready', () => {
    lastError = '';
  });
  return client;
}

/**
 * The Socket.IO adapter publishes without awaiting, so a publish refused
 * while Redis is away would be an unhandled rejection, which ends a Node
 * process. Instead a refused publish waits, in order, with every publish
 * after it to the same server (on a cluster: to the same master, or the
 * same slot wherever it moved), and is sent again once that server is back
 * (PublishRetry): the other instances' members hear it live, late but in
 * order, and on a cluster the healthy masters' channels stay live meanwhile.
 */
async function retryFailedPublishes(client: RedisClient): Promise<[RedisClient, PublishRetry, PublishRetry]> {
  const perSlot = client instanceof Cluster ? clusterSlots(client) : oneServer(client);
  const beforeSend = client instanceof Redis ? oneWritePerTurn(client) : () => undefined;
  const commands: [string, PublishShards][] = [
    ['PUBLISH', oneServer(client)],
    ['SPUBLISH', perSlot],
  ];
  const [held, sharded] = commands.map(
    ([command, shards]) =>
      new PublishRetry(
        (channel, message) => {
          beforeSend();
          return client.call(command, channel, message);
        },
        () => client.status === 'ready',
        shards,
        {
          maxWaiting: MAX_HELD_BROADCASTS,
          // Every other instance's subscriber retries at least this often.
          graceMs: BROADCAST_RECONNECT_DELAY_MS + 250,
          probeIntervalMs: PROBE_INTERVAL_MS,
          logger: new Logger('Redis:pub'),
        },
      ),
  );
  Object.assign(client, {
    publish: (channel: string, message: string | Buffer) => held.publish(channel, message),
  });
  await waitReady(client);
  client.on('ready', () => [held, sharded].forEach((h) => h.linkReady()));
  return [client, held, sharded];
}

/**
 * Reports each time a subscriber link that broke is subscribed again.
 * ioredis emits `ready` before it re-sends the subscriptions, so a PING sent
 * on the next turn is answered only after them.
 */
/** Reports the subscriber link back after it broke, once it has subscribed again. */
function watchSubscription(sub: RedisClient, resubscribed: () => void): void {
  let broken = false;
  sub.on('close', () => (broken = true));
  const back = () => {
    if (!broken) {
      return;
    }
    broken = false;
    setImmediate(() => {
      sub.ping().then(resubscribed, () => undefined); // failed: the link broke again, and will say so
    });
  };
  sub.on('ready', back);
}

function waitReady(client: RedisClient): Promise<RedisClient> {
  if (client.status === 'ready') {
    return Promise.resolve(client);
  }
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('end', () => reject(new Error('Redis connection closed before it was ready')));
  });
}
