import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';
import { EmbeddedSql, PostgresSql, Sql } from './database/sql.js';
import { Cooldowns, LocalCooldowns } from './rate-limit/cooldowns.js';
import { RedisCooldowns } from './rate-limit/redis-cooldowns.js';
import { LocalPresenceStore, PresenceStore } from './presence/presence-store.js';
import { RedisPresenceStore } from './presence/redis-presence-store.js';
import { RedisTokenBuckets } from './rate-limit/redis-token-buckets.js';
import { LocalTokenBuckets, TokenBuckets } from './rate-limit/token-buckets.js';
import { Backplane, InProcessBackplane, RedisBackplane } from './redis/backplane.js';
import { RedisConnections } from './redis/redis-connections.js';

/**
 * How this instance runs, decided once at start and nowhere else: with a
 * Postgres server (DATABASE_URL) or the embedded PGlite, and with Redis
 * (REDIS_URL) carrying broadcasts, rate limits and presence between
 * instances or this process alone. Everything that differs between the modes is a port
 * provided here; the rest of the code only ever sees the ports.
 */
@Module({})
export class ModesModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ModesModule,
      global: true,
      providers: [
        { provide: Sql, useClass: config.databaseUrl === null ? EmbeddedSql : PostgresSql },
        ...(config.redisUrl === null ? IN_PROCESS : redis(config.redisUrl)),
      ],
      exports: [Sql, TokenBuckets, Cooldowns, Backplane, PresenceStore],
    };
  }
}

const IN_PROCESS: Provider[] = [
  { provide: TokenBuckets, useFactory: () => new LocalTokenBuckets() },
  { provide: Cooldowns, useFactory: () => new LocalCooldowns() },
  { provide: Backplane, useClass: InProcessBackplane },
  { provide: PresenceStore, useFactory: () => new LocalPresenceStore() },
];

const redis = (url: string): Provider[] => [
  { provide: RedisConnections, useFactory: () => RedisConnections.open(url) },
  { provide: TokenBuckets, useClass: RedisTokenBuckets },
  { provide: Cooldowns, useClass: RedisCooldowns },
  { provide: Backplane, useClass: RedisBackplane },
  { provide: PresenceStore, useClass: RedisPresenceStore },
];
