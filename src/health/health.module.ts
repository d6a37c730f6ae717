import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { BackplaneHealthIndicator } from './backplane.health.js';
import { ShutdownHealthIndicator } from './shutdown.health.js';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [BackplaneHealthIndicator, ShutdownHealthIndicator],
})
export class HealthModule {}
