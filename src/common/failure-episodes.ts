import type { Logger } from '@nestjs/common';

/**
 * Logs a dependency that keeps failing once per episode instead of once per
 * call: the first failure, then how many there were once a call succeeds.
 */
export class FailureEpisodes {
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    /** What fails, as the log says it: "rate limit not checked". */
    private readonly what: string,
  ) {}

  failed(error: unknown): void {
    if (this.failures++ === 0) {
      this.logger.warn(`${this.what}: ${(error as Error).message} (logged once until it recovers)`);
    }
  }

  succeeded(): void {
    if (this.failures > 0) {
      this.logger.log(`${this.what}: recovered after ${this.failures} failure(s)`);
      this.failures = 0;
    }
  }
}
