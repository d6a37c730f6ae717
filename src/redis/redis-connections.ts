import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { PublishRetry } from './publish-retry.js';

/** The longest wait between two attempts to reconnect to Redis. */
export const MAX_RECONNECT_DELAY_MS = 2_000;
/**
 * The same for the broadcast links (publish, subscribe): shorter, because a
 * broadcast held while Redis was away waits for every instance's subscriber
 * to be back (PublishRetry's grace), and that wait is this plus a margin.
 */
const BROADCAST_RECONNECT_DELAY_MS = 1_000;
/** Broadcasts held while Redis is away, at most (about a minute of a busy instance's sends). */
const MAX_HELD_BROADCASTS = 50_000;

/**
 * The Redis connections of an instance in Redis mode: commands (rate limits,
 * health) and the Socket.IO adapter's publish and subscribe links. Opened
 * before the app listens (the adapter subscribes as the server is built),
 * closed at shutdown after the sockets.
 */
export class RedisConnections implements OnApplicationShutdown {
  private constructor(
    /** `host:port`, for the start-up log. */
    readonly host: string,
    readonly commands: Redis,
    readonly pub: Redis,
    readonly sub: Redis,
    private readonly held: PublishRetry[],
    /** SPUBLISH, held and retried like PUBLISH (the sharded adapter's publish). */
    readonly spublish: (channel: string, message: string) => Promise<unknown>,
  ) {
    watchSubscription(sub, () => this.resubscribedListeners.forEach((listener) => listener()));
  }

  private readonly resubscribedListeners: (() => void)[] = [];

  static async open(url: string): Promise<RedisConnections> {
    const broadcastLink = {
      retryStrategy: (attempt: number) => Math.min(attempt * 100, BROADCAST_RECONNECT_DELAY_MS),
    };
    const [commands, [pub, held, sharded], sub] = await Promise.all([
      waitReady(connectRedis(url, 'commands')),
      // Publishes issued in the same tick (one per broadcast) leave in one write.
      retryFailedPublishes(connectRedis(url, 'pub', { enableAutoPipelining: true, ...broadcastLink })),
      waitReady(connectRedis(url, 'sub', broadcastLink)),
    ]);
    const spublish = (channel: string, message: string) => sharded.publish(channel, message);
    return new RedisConnections(new URL(url).host, commands, pub, sub, [held, sharded], spublish);
  }

  /**
   * Called each time the subscriber link is back after it broke and has
   * subscribed again: broadcasts made meanwhile by the other instances may
   * never have reached this one.
   */
  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  /** Broadcasts of this instance waiting for Redis to be back. */
  get heldBroadcasts(): number {
    return this.held.reduce((n, h) => n + h.pending, 0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.held.forEach((h) => h.close());
    // Auto-pipelined publishes leave on the next setImmediate; QUIT is sent
    // at once and would overtake (and fail) the last broadcasts of shutdown.
    await new Promise((resolve) => setImmediate(resolve));
    const clients = [this.commands, this.pub, this.sub];
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

/** A Redis connection that logs its failures instead of crashing the process. */
function connectRedis(url: string, name: string, options: RedisOptions = {}): Redis {
  const logger = new Logger(`Redis:${name}`);
  const client = new Redis(url, {
    connectionName: name,
    // Commands fail at once while Redis is away instead of queueing behind a
    // reconnect: callers decide how to degrade.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    ...options,
  });
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
 * after it, and is sent again once the link is back (PublishRetry): the
 * other instances' members hear it live, late but in order.
 */
async function retryFailedPublishes(client: Redis): Promise<[Redis, PublishRetry, PublishRetry]> {
  const [held, sharded] = ['PUBLISH', 'SPUBLISH'].map(
    (command) =>
      new PublishRetry(
        (channel, message) => client.call(command, channel, message),
        () => client.status === 'ready',
        {
          maxWaiting: MAX_HELD_BROADCASTS,
          // Every other instance's subscriber retries at least this often.
          graceMs: BROADCAST_RECONNECT_DELAY_MS + 250,
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
function watchSubscription(sub: Redis, resubscribed: () => void): void {
  let broken = false;
  sub.on('close', () => (broken = true));
  sub.on('ready', () => {
    if (!broken) {
      return;
    }
    broken = false;
    setImmediate(() => {
      sub.ping().then(resubscribed, () => undefined); // failed: the link broke again, and will say so
    });
  });
}

function waitReady(client: Redis): Promise<Redis> {
  if (client.status === 'ready') {
    return Promise.resolve(client);
  }
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('end', () => reject(new Error('Redis connection closed before it was ready')));
  });
}
