import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { UsersModule } from '../users/users.module.js';
import { BroadcastModule } from './broadcast.module.js';
import { ChatGateway } from './chat.gateway.js';
import { ResyncNotifier } from './resync.js';
import { SocketActions } from './socket-actions.js';

@Module({
  imports: [AuthModule, RoomsModule, MessagesModule, BroadcastModule, UsersModule],
  providers: [ChatGateway, SocketActions, ResyncNotifier],
})
export class RealtimeModule {}
