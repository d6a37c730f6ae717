import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { RedisModule } from './redis/redis.module.js';
import { RoomsModule } from './rooms/rooms.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** `env` overrides process.env (tests run several instances in one process). */
  static forRoot(env: Record<string, string> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(env),
        LifecycleModule,
        DatabaseModule,
        RedisModule,
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
