import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { TokenBuckets } from './token-buckets.js';

/** Each user may send RATE_LIMIT_PER_SECOND messages a second, bursts of RATE_LIMIT_BURST. */
@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);

  constructor(
    private readonly buckets: TokenBuckets,
    private readonly config: AppConfig,
  ) {}

  /** True when the user may send one more message now. */
  async tryTake(userId: string): Promise<boolean> {
    try {
      return await this.buckets.take(`rate:send:${userId}`, this.config.rateLimit);
    } catch (error) {
      // Losing the limiter must not stop people from talking: fail open.
      this.logger.warn(`rate limit not checked: ${(error as Error).message}`);
      return true;
    }
  }
}
