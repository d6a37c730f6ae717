import type { Logger } from '@nestjs/common';

/**
 * Logs the first failure of an outage and its end, not every failure in
 * between: a dependency that is away fails every call until it is back.
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  failed(error: unknown): void {
    if (!this.down) {
      this.down = true;
      this.logger.warn(`${this.what} failing: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  recovered(): void {
    if (this.down) {
      this.down = false;
      this.logger.log(`${this.what} working again`);
    }
  }
}
