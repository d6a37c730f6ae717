import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import type { LogOutput } from './logging/logging.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { ModesModule } from './modes.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { RoomsModule } from './rooms/rooms.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logOutput: LogOutput = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot(config, logOutput),
        MetricsModule,
        ModesModule.forRoot(config),
        LifecycleModule,
        DatabaseModule,
        AuthModule,
        UsersModule,
        RoomsModule,
        MessagesModule,
        RealtimeModule,
        HealthModule,
      ],
    };
  }
}
