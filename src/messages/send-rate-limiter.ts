import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { MicroBatch } from '../common/micro-batch.js';
import { withTimeout } from '../common/with-timeout.js';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';
import { LocalTokenBuckets } from './token-buckets.js';

// If Redis does not answer by then, the check is skipped rather than
// holding the message.
const CHECK_TIMEOUT_MS = 500;

/** Each user may send RATE_LIMIT_PER_SECOND messages a second, bursts of RATE_LIMIT_BURST. */
@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);
  private readonly check: (userId: string) => Promise<boolean>;

  constructor(@Inject(REDIS) redis: Redis | null, config: AppConfig) {
    const key = (userId: string) => `rate:send:${userId}`;
    if (redis === null) {
      const buckets = new LocalTokenBuckets();
      this.check = async (userId) => (await buckets.take([key(userId)], config.rateLimit))[0];
      return;
    }
    const buckets = new RedisTokenBuckets(redis);
    // The checks of messages arriving together go out as one call.
    const checks = new MicroBatch<string, boolean>(
      (userIds) =>
        withTimeout(buckets.take(userIds.map(key), config.rateLimit), CHECK_TIMEOUT_MS, () => {
          throw new Error(`Redis did not answer within ${CHECK_TIMEOUT_MS} ms`);
        }),
      { maxInFlight: 1, maxBatch: 500 },
    );
    this.check = (userId) => checks.submit(userId);
  }

  /** True when the user may send one more message now. */
  async tryTake(userId: string): Promise<boolean> {
    try {
      return await this.check(userId);
    } catch (error) {
      // Losing the limiter must not stop people from talking: fail open.
      this.logger.warn(`rate limit not checked: ${(error as Error).message}`);
      return true;
    }
  }
}
