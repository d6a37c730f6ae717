import { Injectable, Logger } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { OutageLog } from '../common/outage-log.js';
import { AppConfig } from '../config/app-config.js';
import { Metrics } from '../metrics/metrics.js';
import { LocalTokenBuckets, TokenBuckets, type Rate } from './token-buckets.js';

/**
 * The limits (§5, §11), each a token bucket per user (or address) shared by
 * every connection on every instance:
 * - `send`: new messages, RATE_LIMIT_PER_SECOND with bursts of
 *   RATE_LIMIT_BURST (§5 counts the messages a user creates);
 * - `change`: edits and deletes, a bucket of their own at the same rate, so
 *   they are bounded too but never use up what §5 grants for new messages;
 * - `signal`: `mark_read` and `typing` together, SIGNAL_RATE_LIMIT_PER_SECOND;
 * - `rooms`: room creation and `add_participants`, ROOM_LIMIT_PER_MINUTE
 *   (bursts of twice that);
 * - `signup`: sign-ups per client address, SIGNUP_LIMIT_PER_MINUTE.
 * The last two are off when their variable is 0.
 */
export type Limit = 'send' | 'change' | 'signal' | 'rooms' | 'signup';

const REFUSALS: Record<Limit, string> = {
  send: 'Too many messages; slow down and retry',
  change: 'Too many edits and deletes; slow down and retry',
  signal: 'Too many typing and read updates; slow down',
  rooms: 'Too many rooms created or changed; retry in a minute',
  signup: 'Too many sign-ups from this address; retry in a minute',
};

@Injectable()
export class RateLimiter {
  private readonly outage = new OutageLog(
    new Logger(RateLimiter.name),
    'shared rate-limit buckets (limits held per instance meanwhile)',
  );
  /**
   * While the shared buckets are away, each instance holds every limit on
   * its own: a user spread over N instances gets at most N times the rate,
   * never an unlimited one.
   */
  private readonly fallback = new LocalTokenBuckets();
  private readonly rates: Record<Limit, Rate | null>;
  private readonly refusals: Record<Limit, { inc(): void }>;

  constructor(
    private readonly buckets: TokenBuckets,
    config: AppConfig,
    metrics: Metrics,
  ) {
    this.rates = {
      send: config.rateLimit,
      change: config.rateLimit,
      signal: config.signalRateLimit,
      rooms: config.roomLimit,
      signup: config.signupLimit,
    };
    this.refusals = {
      send: metrics.rateLimited.labels('send'),
      change: metrics.rateLimited.labels('change'),
      signal: metrics.rateLimited.labels('signal'),
      rooms: metrics.rateLimited.labels('rooms'),
      signup: metrics.rateLimited.labels('signup'),
    };
  }

  /** Takes one of the `who`'s tokens for `limit` (a user id, or an address), or fails with `rate_limited`. */
  async take(limit: Limit, who: string): Promise<void> {
    if (!(await this.tryTake(limit, who))) {
      this.refusals[limit].inc();
      throw ChatError.rateLimited(REFUSALS[limit]);
    }
  }

  private async tryTake(limit: Limit, who: string): Promise<boolean> {
    const rate = this.rates[limit];
    if (rate === null) {
      return true;
    }
    // `who` as hash tag: on a Redis Cluster one user's (or address's) buckets share a slot.
    const key = `rate:${limit}:{${who}}`;
    try {
      const allowed = await this.buckets.take(key, rate);
      this.outage.recovered();
      return allowed;
    } catch (error) {
      this.outage.failed(error);
      return this.fallback.take(key, rate);
    }
  }
}
