import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { RedisMetrics } from './redis-metrics.js';

/** One Metrics per instance, for anything to count into (global: inject `Metrics`). */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, RedisMetrics],
  exports: [Metrics],
})
export class MetricsModule {}
