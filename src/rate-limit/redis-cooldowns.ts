import { Injectable } from '@nestjs/common';
import { RedisConnections } from '../redis/redis-connections.js';
import { Cooldowns } from './cooldowns.js';

/** Cooldowns as Redis keys that expire by themselves: one SET NX PX each, the same on every instance. */
@Injectable()
export class RedisCooldowns extends Cooldowns {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async start(key: string, windowMs: number): Promise<boolean> {
    return (await this.redis.commands.set(key, '1', 'PX', windowMs, 'NX')) === 'OK';
  }
}
