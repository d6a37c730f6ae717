export interface Rate {
  perSecond: number;
  burst: number;
}

/**
 * Token buckets by key: Redis, so a limit holds across instances, or this
 * process alone. The mode picks the implementation once (modes.module.ts).
 */
export abstract class TokenBuckets {
  /** Takes a token from the key's bucket: true when one was left. */
  abstract take(key: string, rate: Rate): Promise<boolean>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The token-bucket rule, shared in spirit with the Redis script: a bucket
 * holds at most `burst` tokens and refills at `perSecond`.
 */
export function takeToken(
  bucket: Bucket | undefined,
  now: number,
  { perSecond, burst }: Rate,
): { allowed: boolean; bucket: Bucket } {
  const elapsed = Math.max(0, now - (bucket?.at ?? now));
  const tokens = Math.min(burst, (bucket?.tokens ?? burst) + (elapsed * perSecond) / 1000);
  return tokens >= 1
    ? { allowed: true, bucket: { tokens: tokens - 1, at: now } }
    : { allowed: false, bucket: { tokens, at: now } };
}

/** Buckets in this process: the single-instance mode, without Redis. */
export class LocalTokenBuckets extends TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly clock: () => number = Date.now) {
    super();
  }

  take(key: string, rate: Rate): Promise<boolean> {
    const now = this.clock();
    this.forgetFullBuckets(now, rate);
    const { allowed, bucket } = takeToken(this.buckets.get(key), now, rate);
    this.buckets.set(key, bucket);
    return Promise.resolve(allowed);
  }

  /**
   * A bucket untouched long enough to be full again is the same as no
   * bucket. Swept at most once per refill period, so the scan stays off the
   * path of most sends.
   */
  private forgetFullBuckets(now: number, { perSecond, burst }: Rate): void {
    const refillMs = (burst * 1000) / perSecond;
    if (now - this.lastSweep < refillMs) {
      return;
    }
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at > refillMs) {
        this.buckets.delete(key);
      }
    }
  }
}
