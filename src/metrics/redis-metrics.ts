import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { RedisConnections } from '../redis/redis-connections.js';
import { Metrics } from './metrics.js';

/**
 * Counts the adapter's resubscriptions from the outside: ioredis subscribes
 * again on its own each time the subscriber connection is `ready` after the
 * first. Only in Redis mode (the connections exist only there).
 */
@Injectable()
export class RedisMetrics implements OnApplicationBootstrap {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    let redis: RedisConnections;
    try {
      redis = this.moduleRef.get(RedisConnections, { strict: false });
    } catch {
      return; // no REDIS_URL: nothing to resubscribe
    }
    redis.sub.on('ready', () => this.metrics.redisResubscribes.inc());
  }
}
