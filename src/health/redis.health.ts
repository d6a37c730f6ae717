import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { REDIS, REDIS_PUB, REDIS_SUB } from '../redis/redis.module.js';

/** Up when the command connection answers and the adapter's pub/sub links are connected. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(REDIS) private readonly commands: Redis | null,
    @Inject(REDIS_PUB) private readonly pub: Redis | null,
    @Inject(REDIS_SUB) private readonly sub: Redis | null,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    if (!this.commands || !this.pub || !this.sub) {
      return indicator.up({ mode: 'not configured: single instance' });
    }
    const links = { pub: this.pub.status, sub: this.sub.status };
    try {
      await this.commands.ping();
    } catch (error) {
      return indicator.down({ message: (error as Error).message, ...links });
    }
    return links.pub === 'ready' && links.sub === 'ready' ? indicator.up(links) : indicator.down(links);
  }
}
