import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { BroadcastModule } from '../realtime/broadcast.module.js';
import { UsersModule } from '../users/users.module.js';
import { MembershipRepository } from './membership.repository.js';
import { ReadStateController } from './read-state.controller.js';
import { ReadStateService } from './read-state.service.js';
import { RoomMembership } from './room-membership.js';
import { RoomsController } from './rooms.controller.js';
import { RoomsRepository } from './rooms.repository.js';
import { RoomsService } from './rooms.service.js';
import { TypingService } from './typing.service.js';

@Module({
  imports: [UsersModule, BroadcastModule, RateLimitModule],
  controllers: [RoomsController, ReadStateController],
  providers: [
    RoomsService,
    RoomsRepository,
    MembershipRepository,
    RoomMembership,
    ReadStateService,
    TypingService,
  ],
  exports: [RoomsService, RoomMembership, ReadStateService, TypingService],
})
export class RoomsModule {}
