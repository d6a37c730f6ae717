import { Injectable, Logger } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { FailureEpisodes } from '../common/failure-episodes.js';
import { AppConfig } from '../config/app-config.js';
import { LocalTokenBuckets, TokenBuckets, type Rate } from './token-buckets.js';

/**
 * The per-user limits (§5, §11), each a token bucket shared by all of the
 * user's connections on every instance:
 * - `send`: messages, RATE_LIMIT_PER_SECOND with bursts of RATE_LIMIT_BURST;
 * - `signal`: `mark_read` and `typing` together, SIGNAL_RATE_LIMIT_PER_SECOND.
 */
export type Limit = 'send' | 'signal';

const REFUSALS: Record<Limit, string> = {
  send: 'Too many messages; slow down and retry',
  signal: 'Too many typing and read updates; slow down',
};

@Injectable()
export class RateLimiter {
  private readonly outage = new FailureEpisodes(
    new Logger(RateLimiter.name),
    'rate limits held per instance (the shared buckets did not answer)',
  );
  /**
   * While the shared buckets are away, each instance holds every limit on
   * its own: a user spread over N instances gets at most N times the rate,
   * never an unlimited one.
   */
  private readonly fallback = new LocalTokenBuckets();
  private readonly rates: Record<Limit, Rate>;

  constructor(
    private readonly buckets: TokenBuckets,
    config: AppConfig,
  ) {
    this.rates = { send: config.rateLimit, signal: config.signalRateLimit };
  }

  /** Takes one of the user's tokens for `limit`, or fails with `rate_limited`. */
  async take(limit: Limit, userId: string): Promise<void> {
    if (!(await this.tryTake(limit, userId))) {
      throw ChatError.rateLimited(REFUSALS[limit]);
    }
  }

  private async tryTake(limit: Limit, userId: string): Promise<boolean> {
    // The user id as hash tag: on a Redis Cluster a user's buckets share a slot.
    const key = `rate:${limit}:{${userId}}`;
    try {
      const allowed = await this.buckets.take(key, this.rates[limit]);
      this.outage.succeeded();
      return allowed;
    } catch (error) {
      this.outage.failed(error);
      return this.fallback.take(key, this.rates[limit]);
    }
  }
}
