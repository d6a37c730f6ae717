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
  /** Left to spend. */
  tokens: number;
  /** Granted in all, for the bucket to stop counting. */
  granted: number;
  /** Spendable until then (this process's clock). */
  expiresAt: number;
  /** Until when the bucket counts the grant as out (Redis's clock, as it answered). */
  leaseEnd: number;
  rate: Rate;
}

/** A lease that ended, to give back: its unspent tokens and what was granted. */
export interface Unused {
  key: string;
  tokens: number;
  granted: number;
  leaseEnd: number;
  rate: Rate;
}

/**
 * Tokens this instance took from a shared bucket ahead of need. Spending
 * one needs no round trip to Redis; every token spent was taken from the
 * shared bucket first, and the bucket does not refill into the room of
 * tokens still out on lease, so a user's limit holds across instances as
 * before. A lease ends LEASE_MS after its last grant and is given back
 * (its unspent tokens return to the bucket), so a user who moves to
 * another instance loses at most `leaseSize` tokens there for that long.
 */
export class TokenLeases {
  private readonly leases = new Map<string, Lease>();
  /** Ended leases replaced by a new grant before release() took them. */
  private readonly ended: Unused[] = [];

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

  /**
   * Tokens the bucket granted ahead, until `leaseEnd` on its clock. They
   * join the key's lease, which starts again, while it runs; an ended
   * lease is never extended (the bucket may have stopped counting it) but
   * waits to be given back.
   */
  add(key: string, tokens: number, rate: Rate, leaseEnd: number): void {
    const now = this.clock();
    const lease = this.leases.get(key);
    if (lease !== undefined && lease.expiresAt > now) {
      Object.assign(lease, { tokens: lease.tokens + tokens, granted: lease.granted + tokens, leaseEnd });
      lease.expiresAt = now + LEASE_MS;
      return;
    }
    if (lease !== undefined) {
      this.ended.push({ key, ...lease });
    }
    this.leases.set(key, { tokens, granted: tokens, expiresAt: now + LEASE_MS, leaseEnd, rate });
  }

  /** Removes the ended leases (all of them when `all`), to give back. */
  release(all = false): Unused[] {
    const now = this.clock();
    const ended = this.ended.splice(0);
    for (const [key, lease] of this.leases) {
      if (all || lease.expiresAt <= now) {
        this.leases.delete(key);
        ended.push({ key, ...lease });
      }
    }
    return ended.map(({ key, tokens, granted, leaseEnd, rate }) => ({
      key,
      tokens,
      granted,
      leaseEnd,
      rate,
    }));
  }
}
