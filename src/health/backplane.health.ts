import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Backplane } from '../redis/backplane.js';

/** Whether broadcasts reach the other instances, as the backplane of this mode reports it. */
@Injectable()
export class BackplaneHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly backplane: Backplane,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    const { up, details } = await this.backplane.health();
    return up ? indicator.up(details) : indicator.down(details);
  }
}
