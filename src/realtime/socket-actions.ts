import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { validatePayload } from '../common/validation.js';
import { CreateMessageDto } from '../messages/dto/create-message.dto.js';
import { MessagesService } from '../messages/messages.service.js';
import { CreateRoomDto } from '../rooms/dto/create-room.dto.js';
import { RoomsService } from '../rooms/rooms.service.js';
import type { ActionAck, ClientAction } from './events.js';

/** What each socket action does: validate, call one service method, shape the ack. */
@Injectable()
export class SocketActions {
  constructor(
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
  ) {}

  async perform(action: ClientAction, userId: string, payload: unknown): Promise<ActionAck> {
    const body = withoutActionField(action, payload);
    if (action === 'create_room') {
      const dto = validatePayload(CreateRoomDto, body);
      const { room } = await this.rooms.create(userId, dto.participants);
      return { status: 'success', room };
    }
    const dto = validatePayload(CreateMessageDto, body);
    const { roomId, ...message } = dto;
    const { message: stored } = await this.messages.send(userId, roomId, message);
    return { status: 'success', message: stored };
  }
}

/**
 * Seed clients put `"action"` in the payload: it may repeat the event name,
 * and is dropped before validation; naming another action is an error.
 */
function withoutActionField(action: ClientAction, payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('action' in payload)) {
    return payload;
  }
  const { action: named, ...rest } = payload;
  if (named !== action) {
    throw ChatError.validation([`action must be "${action}" on this event`]);
  }
  return rest;
}
