import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { validatePayload } from '../common/validation.js';
import { MessagesService } from '../messages/messages.service.js';
import { ReadStateService } from '../rooms/read-state.service.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { TypingService } from '../rooms/typing.service.js';
import { ACTION_TABLE, type ActionName, type ActionServices, type AnyActionEntry } from './action-table.js';
import type { ActionAck } from './events.js';

/** Performs a socket action from the table: validate, call its service method, shape the ack. */
@Injectable()
export class SocketActions {
  private readonly services: ActionServices;

  constructor(
    rooms: RoomsService,
    messages: MessagesService,
    readState: ReadStateService,
    typing: TypingService,
  ) {
    this.services = { rooms, messages, readState, typing };
  }

  async perform<A extends ActionName>(name: A, callerId: string, payload: unknown): Promise<ActionAck<A>> {
    const entry: AnyActionEntry = ACTION_TABLE[name];
    const dto = validatePayload(entry.dto, withoutActionField(name, payload));
    const result = await entry.handle(this.services, callerId, dto);
    return { status: 'success', [entry.successKey]: result } as ActionAck<A>;
  }
}

/**
 * Seed clients put `"action"` in the payload: it may repeat the event name,
 * and is dropped before validation; naming another action is an error.
 */
function withoutActionField(action: ActionName, payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('action' in payload)) {
    return payload;
  }
  const { action: named, ...rest } = payload;
  if (named !== action) {
    throw ChatError.validation([`action must be "${action}" on this event`]);
  }
  return rest;
}
