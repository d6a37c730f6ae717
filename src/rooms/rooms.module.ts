import { Module } from '@nestjs/common';
import { BroadcastModule } from '../realtime/broadcast.module.js';
import { UsersModule } from '../users/users.module.js';
import { MembershipRepository } from './membership.repository.js';
import { RoomMembership } from './room-membership.js';
import { RoomsController } from './rooms.controller.js';
import { RoomsRepository } from './rooms.repository.js';
import { RoomsService } from './rooms.service.js';

@Module({
  imports: [UsersModule, BroadcastModule],
  controllers: [RoomsController],
  providers: [RoomsService, RoomsRepository, MembershipRepository, RoomMembership],
  exports: [RoomsService, RoomMembership],
})
export class RoomsModule {}
