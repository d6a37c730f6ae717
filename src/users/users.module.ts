import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { BroadcastModule } from '../realtime/broadcast.module.js';
import { PresenceService } from './presence.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [AuthModule, BroadcastModule, RateLimitModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PresenceService],
  exports: [UsersService, PresenceService],
})
export class UsersModule {}
