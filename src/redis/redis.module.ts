import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/** Commands (rate limiter, health). */
export const REDIS = Symbol('REDIS');
/** The Socket.IO adapter's publish and subscribe connections. */
export const REDIS_PUB = Symbol('REDIS_PUB');
export const REDIS_SUB = Symbol('REDIS_SUB');

/** A Redis connection that logs its failures instead of crashing the process. */
function connectRedis(url: string, name: string, options: RedisOptions = {}): Redis {
  const logger = new Logger(`Redis:${name}`);
  const client = new Redis(url, {
    connectionName: name,
    // Commands fail at once while Redis is away instead of queueing behind a
    // reconnect: callers decide how to degrade.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
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
function tolerateFailedPublishes(client: Redis, logger: Logger): Redis {
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

/** Null when REDIS_URL is unset: the single-instance mode. */
const connection = (token: symbol, name: string, options?: RedisOptions, adapt = (c: Redis) => c) => ({
  provide: token,
  inject: [AppConfig],
  useFactory: (config: AppConfig) =>
    config.redisUrl === null ? null : waitReady(adapt(connectRedis(config.redisUrl, name, options))),
});

@Global()
@Module({
  providers: [
    connection(REDIS, 'commands'),
    // Publishes issued in the same tick (one per broadcast) leave in one write.
    connection(REDIS_PUB, 'pub', { enableAutoPipelining: true }, (c) =>
      tolerateFailedPublishes(c, new Logger('Redis:pub')),
    ),
    connection(REDIS_SUB, 'sub'),
  ],
  exports: [REDIS, REDIS_PUB, REDIS_SUB],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly commands: Redis | null,
    @Inject(REDIS_PUB) private readonly pub: Redis | null,
    @Inject(REDIS_SUB) private readonly sub: Redis | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const clients = [this.commands, this.pub, this.sub].filter((c) => c !== null);
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
