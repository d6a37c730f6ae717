import type { Rate } from './token-buckets.js';

/** How long an instance may keep tokens it took ahead; what it has not used by then goes back. */
export const LEASE_MS = 5_000;

/**
 * How many tokens an instance may take ahead of need when it takes one:
 * half a second of the rate (none for the per-minute limits). The bucket
 * gives them only from its upper half (see the Redis script), so a user
 * who is near the limit is always checked against Redis itself.
 */
export function leaseSize({ perSecond }: Rate): number {
  return Math.floor(perSecond / 2);
}

interface Lease {
  tokens: number;
  expiresAt: number;
  rate: Rate;
}

/** Unused leased tokens of one key, to give back. */
export interface Unused {
  key: string;
  tokens: number;
  rate: Rate;
}

/**
 * Tokens this instance took from a shared bucket ahead of need. Spending
 * one needs no round trip to Redis; every token spent was taken from the
 * shared bucket first, so a user's limit holds across instances as before.
 * What one instance holds and does not spend within LEASE_MS goes back to
 * the bucket, so a user who moves to another instance loses at most
 * `leaseSize` tokens there for that long.
 */
export class TokenLeases {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Spends a leased token of the key: false when there is none left (or it expired). */
  take(key: string): boolean {
    const lease = this.leases.get(key);
    if (lease === undefined || lease.tokens < 1 || lease.expiresAt <= this.clock()) {
      return false;
    }
    lease.tokens--;
    return true;
  }

  /** Tokens the bucket granted ahead; they join what is left of the key's lease, which starts again. */
  add(key: string, tokens: number, rate: Rate): void {
    const left = this.leases.get(key)?.tokens ?? 0;
    this.leases.set(key, { tokens: left + tokens, expiresAt: this.clock() + LEASE_MS, rate });
  }

  /** Removes the expired leases (all of them when `all`), answering the tokens they left unused. */
  release(all = false): Unused[] {
    const now = this.clock();
    const unused: Unused[] = [];
    for (const [key, lease] of this.leases) {
      if (all || lease.expiresAt <= now) {
        this.leases.delete(key);
        if (lease.tokens > 0) {
          unused.push({ key, tokens: lease.tokens, rate: lease.rate });
        }
      }
    }
    return unused;
  }
}
