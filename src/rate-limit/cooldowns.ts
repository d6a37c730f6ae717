/**
 * "At most once per window" by key, across instances (Redis) or in this
 * process. The mode picks the implementation once (modes.module.ts).
 */
export abstract class Cooldowns {
  /** Starts the key's cooldown: true when none was running (the caller may act now). */
  abstract start(key: string, windowMs: number): Promise<boolean>;
}

/** Cooldowns in this process: the single-instance mode, without Redis. */
export class LocalCooldowns extends Cooldowns {
  private readonly until = new Map<string, number>();
  private lastSweep = 0;

  constructor(private readonly clock: () => number = Date.now) {
    super();
  }

  start(key: string, windowMs: number): Promise<boolean> {
    const now = this.clock();
    this.forgetExpired(now, windowMs);
    if ((this.until.get(key) ?? 0) > now) {
      return Promise.resolve(false);
    }
    this.until.set(key, now + windowMs);
    return Promise.resolve(true);
  }

  /** Expired entries are dropped at most once per window, off the path of most calls. */
  private forgetExpired(now: number, windowMs: number): void {
    if (now - this.lastSweep < windowMs) {
      return;
    }
    this.lastSweep = now;
    for (const [key, until] of this.until) {
      if (until <= now) {
        this.until.delete(key);
      }
    }
  }
}
