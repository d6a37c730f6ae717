import type { ClassConstructor } from 'class-transformer';
import { DeleteMessagePayload, EditMessagePayload } from '../messages/dto/change-message.dto.js';
import { CreateMessageDto } from '../messages/dto/create-message.dto.js';
import type { MessagesService } from '../messages/messages.service.js';
import { AddParticipantsPayload, LeaveRoomPayload } from '../rooms/dto/change-participants.dto.js';
import { CreateRoomDto } from '../rooms/dto/create-room.dto.js';
import { MarkReadDto } from '../rooms/dto/read.dto.js';
import { TypingDto } from '../rooms/dto/typing.dto.js';
import type { ReadStateService } from '../rooms/read-state.service.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { TypingService } from '../rooms/typing.service.js';

/** The services socket actions call (HTTP controllers call the same ones). */
export interface ActionServices {
  rooms: RoomsService;
  messages: MessagesService;
  readState: ReadStateService;
  typing: TypingService;
}

interface ActionEntry<Dto extends object, SuccessKey extends string, Result> {
  /** Validates the payload, with the same rules and messages as HTTP. */
  dto: ClassConstructor<Dto>;
  /** The ack's field holding the result: `{ status: 'success', [successKey]: result }`. */
  successKey: SuccessKey;
  handle(services: ActionServices, callerId: string, payload: Dto): Promise<Result>;
}

/** Any entry of the table, as the dispatcher sees it. */
export type AnyActionEntry = ActionEntry<object, string, unknown>;

const action = <Dto extends object, SuccessKey extends string, Result>(
  entry: ActionEntry<Dto, SuccessKey, Result>,
) => entry;

/**
 * Every socket action: the gateway binds one listener per entry, `send()`
 * routes by it, and the typed event map is derived from it. A new action is
 * one entry here and one service method.
 */
export const ACTION_TABLE = {
  create_room: action({
    dto: CreateRoomDto,
    successKey: 'room',
    handle: async ({ rooms }, callerId, { participants, name }) =>
      (await rooms.create(callerId, participants, name)).room,
  }),
  create_message: action({
    dto: CreateMessageDto,
    successKey: 'message',
    handle: async ({ messages }, callerId, { roomId, ...message }) =>
      (await messages.send(callerId, roomId, message)).message,
  }),
  edit_message: action({
    dto: EditMessagePayload,
    successKey: 'message',
    handle: ({ messages }, callerId, { roomId, messageId, content }) =>
      messages.edit(callerId, roomId, messageId, content),
  }),
  delete_message: action({
    dto: DeleteMessagePayload,
    successKey: 'message',
    handle: ({ messages }, callerId, { roomId, messageId }) => messages.delete(callerId, roomId, messageId),
  }),
  add_participants: action({
    dto: AddParticipantsPayload,
    successKey: 'room',
    handle: ({ rooms }, callerId, { roomId, participants }) =>
      rooms.addParticipants(callerId, roomId, participants),
  }),
  leave_room: action({
    dto: LeaveRoomPayload,
    successKey: 'room',
    handle: ({ rooms }, callerId, { roomId }) => rooms.leave(callerId, roomId),
  }),
  mark_read: action({
    dto: MarkReadDto,
    successKey: 'read',
    handle: ({ readState }, callerId, { roomId, seq }) => readState.markRead(callerId, roomId, seq),
  }),
  typing: action({
    dto: TypingDto,
    successKey: 'typing',
    handle: ({ typing }, callerId, { roomId, typing: isTyping }) =>
      typing.setTyping(callerId, roomId, isTyping),
  }),
};

export type ActionName = keyof typeof ACTION_TABLE;
export const ACTION_NAMES = Object.keys(ACTION_TABLE) as ActionName[];

/** The table's entry for `name`, or null: nothing but an entry's own name finds one. */
export function findAction(name: unknown): ActionName | null {
  return typeof name === 'string' && Object.hasOwn(ACTION_TABLE, name) ? (name as ActionName) : null;
}

type EntryOf<A extends ActionName> = (typeof ACTION_TABLE)[A];
type ActionResult<A extends ActionName> = Awaited<ReturnType<EntryOf<A>['handle']>>;
/** `{ status: 'success', room }`, `{ status: 'success', message }`…; distributes over a union of names. */
export type ActionSuccess<A extends ActionName> = A extends ActionName
  ? { status: 'success' } & { [K in EntryOf<A>['successKey']]: ActionResult<A> }
  : never;
