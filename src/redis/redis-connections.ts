import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/** The longest wait between two attempts to reconnect to Redis. */
export const MAX_RECONNECT_DELAY_MS = 2_000;

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
  ) {}

  static async open(url: string): Promise<RedisConnections> {
    const [commands, pub, sub] = await Promise.all([
      waitReady(connectRedis(url, 'commands')),
      // Publishes issued in the same tick (one per broadcast) leave in one write.
      waitReady(tolerateFailedPublishes(connectRedis(url, 'pub', { enableAutoPipelining: true }))),
      waitReady(connectRedis(url, 'sub')),
    ]);
    return new RedisConnections(new URL(url).host, commands, pub, sub);
  }

  async onApplicationShutdown(): Promise<void> {
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
 * process. Those failures are counted and logged here instead: local
 * delivery goes on, and clients on other instances catch up with `?after=`.
 */
function tolerateFailedPublishes(client: Redis): Redis {
  const logger = new Logger('Redis:pub');
  const publish = (channel: string, message: string | Buffer): Promise<number> =>
    client.call('PUBLISH', channel, message) as Promise<number>;
  let dropped = 0;
  Object.assign(client, {
    publish(channel: string, message: string | Buffer): Promise<number> {
      const sent = publish(channel, message);
      sent.catch((error: Error) => {
        if (dropped++ % 1000 === 0) {
          logger.warn(`cross-instance broadcast dropped (${dropped} so far): ${error.message}`);
        }
      });
      return sent;
    },
  });
  return client;
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
