import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { MicroBatch } from '../common/micro-batch.js';
import { withTimeout } from '../common/with-timeout.js';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';
import { LocalTokenBuckets, type TokenBuckets } from './token-buckets.js';

// If Redis does not answer by then, the check is skipped rather than
// holding the message.
const CHECK_TIMEOUT_MS = 500;

/** Each user may send RATE_LIMIT_PER_SECOND messages a second, bursts of RATE_LIMIT_BURST. */
@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);
  private readonly buckets: TokenBuckets;
  // The checks of messages arriving together go out as one call.
  private readonly checks = new MicroBatch<string, boolean>(
    (userIds) =>
      withTimeout(
        this.buckets.take(
          userIds.map((id) => `rate:send:${id}`),
          this.config.rateLimit,
        ),
        CHECK_TIMEOUT_MS,
        () => {
          throw new Error(`Redis did not answer within ${CHECK_TIMEOUT_MS} ms`);
        },
      ),
    { maxInFlight: 1, maxBatch: 500 },
  );

  constructor(
    @Inject(REDIS) redis: Redis | null,
    private readonly config: AppConfig,
  ) {
    this.buckets = redis ? new RedisTokenBuckets(redis) : new LocalTokenBuckets();
  }

  /** True when the user may send one more message now. */
  async tryTake(userId: string): Promise<boolean> {
    try {
      return await this.checks.submit(userId);
    } catch (error) {
      // Losing the limiter must not stop people from talking: fail open.
      this.logger.warn(`rate limit not checked: ${(error as Error).message}`);
      return true;
    }
  }
}
