import { Module } from '@nestjs/common';
import { BroadcastModule } from '../realtime/broadcast.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { MessageStore } from './message-store.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';
import { SendRateLimiter } from './send-rate-limiter.js';

@Module({
  imports: [RoomsModule, BroadcastModule],
  controllers: [MessagesController],
  providers: [MessagesService, MessageStore, SendRateLimiter],
  exports: [MessagesService],
})
export class MessagesModule {}
