import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { Backplane } from '../redis/backplane.js';
import { BackplaneHealthIndicator } from './backplane.health.js';
import { ShutdownHealthIndicator } from './shutdown.health.js';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly backplane: BackplaneHealthIndicator,
    private readonly shutdown: ShutdownHealthIndicator,
    private readonly backplanePort: Backplane,
  ) {}

  /** The process is up; says nothing about its dependencies. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * This instance's backplane counters (issue 14's two figures), for the
   * scaling benchmark until they are Prometheus counters on /metrics.
   */
  @Get('backplane')
  backplaneCounters() {
    return { ...this.backplanePort.counters };
  }

  /** Ready to serve: not shutting down, Postgres answers, Redis carries broadcasts. 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.shutdown.check('shutdown'),
      () => this.postgres.pingCheck('postgres', { timeout: 2_000 }),
      () => this.backplane.check('redis'),
    ]);
  }
}
