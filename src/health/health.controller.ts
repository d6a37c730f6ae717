import { Controller, Get } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiErrors, ErrorResponse } from '../common/error.response.js';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { HealthResponse } from './health.response.js';
import { BackplaneHealthIndicator } from './backplane.health.js';
import { ShutdownHealthIndicator } from './shutdown.health.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly backplane: BackplaneHealthIndicator,
    private readonly shutdown: ShutdownHealthIndicator,
  ) {}

  /** The process is up; says nothing about its dependencies. */
  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthResponse })
  @ApiErrors(503)
  live() {
    return this.health.check([]);
  }

  /** Ready to serve: not shutting down, Postgres answers, Redis carries broadcasts. 503 otherwise. */
  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthResponse, description: 'Ready: Postgres answers, Redis carries broadcasts' })
  @ApiExtraModels(HealthResponse, ErrorResponse)
  @ApiServiceUnavailableResponse({
    description: 'Not ready (the health report), or shutting down (the error body)',
    schema: { oneOf: [{ $ref: getSchemaPath(HealthResponse) }, { $ref: getSchemaPath(ErrorResponse) }] },
  })
  ready() {
    return this.health.check([
      () => this.shutdown.check('shutdown'),
      () => this.postgres.pingCheck('postgres', { timeout: 2_000 }),
      () => this.backplane.check('redis'),
    ]);
  }
}
