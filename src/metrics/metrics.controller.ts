import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/public.decorator.js';
import { ChatError } from '../common/chat-error.js';
import { AppConfig } from '../config/app-config.js';
import { Metrics } from './metrics.js';

/**
 * GET /metrics in Prometheus's text format: public like /health, or, when
 * METRICS_TOKEN is set, for `Authorization: Bearer <METRICS_TOKEN>` only
 * (Prometheus: `authorization: { credentials: … }` in the scrape config).
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly expected: Buffer | null;

  constructor(
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    this.expected = config.metricsToken === null ? null : Buffer.from(`Bearer ${config.metricsToken}`);
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (this.expected && !this.matches(authorization)) {
      throw new ChatError('unauthorized', 'GET /metrics needs the bearer METRICS_TOKEN');
    }
    return this.metrics.registry.metrics();
  }

  private matches(authorization: string | undefined): boolean {
    const given = Buffer.from(authorization ?? '');
    return given.length === this.expected!.length && timingSafeEqual(given, this.expected!);
  }
}
