import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Drain } from '../lifecycle/drain.js';

/** Down from the moment shutdown starts, so the load balancer drains this instance. */
@Injectable()
export class ShutdownHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly drain: Drain,
  ) {}

  check(key: string) {
    const indicator = this.health.check(key);
    return this.drain.isDraining ? indicator.down({ message: 'shutting down' }) : indicator.up();
  }
}
