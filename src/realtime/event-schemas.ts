import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HTTP_STATUS_BY_CODE, type ErrorCode } from '../common/chat-error.js';
import { MessageResponse } from '../messages/message.response.js';
import type { RoomPosition } from '../rooms/room.js';
import { ParticipantResponse, ReadMarkerResponse, RoomResponse } from '../rooms/room.response.js';
import type {
  ActionFailure,
  ExceptionEvent,
  MessageChangedEvent,
  MessageCreatedEvent,
  ParticipantLeftEvent,
  ParticipantsAddedEvent,
  PresenceEvent,
  ResyncEvent,
  RoomCreatedEvent,
  RoomReadEvent,
  ServerToClientEvents,
  TypingEvent,
} from './events.js';

// The payloads of events.ts as classes, for the AsyncAPI document: each
// `implements` its interface, so a field changed there breaks the build here,
// and EVENT_SCHEMAS names every event of ServerToClientEvents exactly once.

const ERROR_CODES = Object.keys(HTTP_STATUS_BY_CODE) as ErrorCode[];

export class RoomCreatedEventSchema implements RoomCreatedEvent {
  @ApiProperty({ enum: ['room_created'] })
  type: 'room_created';

  @ApiProperty({ type: RoomResponse })
  room: RoomResponse;
}

export class MessageCreatedEventSchema implements MessageCreatedEvent {
  @ApiProperty({ enum: ['message_created'] })
  type: 'message_created';

  @ApiProperty({ type: MessageResponse })
  message: MessageResponse;
}

export class MessageUpdatedEventSchema implements MessageChangedEvent<'message_updated'> {
  @ApiProperty({ enum: ['message_updated'] })
  type: 'message_updated';

  @ApiProperty({ type: MessageResponse, description: 'The message as edited' })
  message: MessageResponse;
}

export class MessageDeletedEventSchema implements MessageChangedEvent<'message_deleted'> {
  @ApiProperty({ enum: ['message_deleted'] })
  type: 'message_deleted';

  @ApiProperty({ type: MessageResponse, description: 'The tombstone: content "", deletedAt set' })
  message: MessageResponse;
}

export class ParticipantsAddedEventSchema implements ParticipantsAddedEvent {
  @ApiProperty({ enum: ['participants_added'] })
  type: 'participants_added';

  @ApiProperty({ type: RoomResponse, description: 'The room after the change' })
  room: RoomResponse;

  @ApiProperty({ type: [ParticipantResponse] })
  added: ParticipantResponse[];

  @ApiProperty({ description: 'Who added them' })
  by: string;
}

export class ParticipantLeftEventSchema implements ParticipantLeftEvent {
  @ApiProperty({ enum: ['participant_left'] })
  type: 'participant_left';

  @ApiProperty()
  roomId: string;

  @ApiProperty()
  userId: string;
}

export class RoomReadEventSchema implements RoomReadEvent {
  @ApiProperty({ enum: ['room_read'] })
  type: 'room_read';

  @ApiProperty({ type: ReadMarkerResponse })
  read: ReadMarkerResponse;
}

export class TypingEventSchema implements TypingEvent {
  @ApiProperty({ enum: ['typing'] })
  type: 'typing';

  @ApiProperty()
  roomId: string;

  @ApiProperty()
  userId: string;

  @ApiProperty()
  typing: boolean;
}

export class PresenceEventSchema implements PresenceEvent {
  @ApiProperty({ enum: ['presence'] })
  type: 'presence';

  @ApiProperty()
  userId: string;

  @ApiProperty()
  online: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null while online' })
  lastSeenAt: string | null;
}

export class ExceptionEventSchema implements ExceptionEvent {
  @ApiProperty({ description: 'The action that failed (or the event name)' })
  action: string;

  @ApiProperty({ enum: ERROR_CODES })
  code: ErrorCode;

  @ApiProperty()
  message: string;

  @ApiPropertyOptional({ type: [String], description: 'Every bad field of a validation failure' })
  details?: string[];
}

class RoomPositionSchema implements RoomPosition {
  @ApiProperty()
  roomId: string;

  @ApiProperty({ type: 'integer', description: "The room's last seq when the resync was sent" })
  seq: number;

  @ApiProperty({ type: 'integer', description: "The room's last rev: fetch /changes?since=<your rev>" })
  rev: number;
}

/** To the sockets of an instance that lost its Redis subscription, once it has it again. */
export class ResyncEventSchema implements ResyncEvent {
  @ApiProperty({ enum: ['resync'] })
  type: 'resync';

  @ApiProperty({ type: [RoomPositionSchema] })
  rooms: RoomPositionSchema[];
}

class ActionErrorSchema {
  @ApiProperty({ enum: ERROR_CODES })
  code: ErrorCode;

  @ApiProperty()
  message: string;

  @ApiPropertyOptional({ type: [String] })
  details?: string[];
}

/** The acknowledgement of a failed action, whichever it was. */
export class ActionFailureSchema implements ActionFailure {
  @ApiProperty({ enum: ['error'] })
  status: 'error';

  @ApiProperty({ type: ActionErrorSchema })
  error: ActionErrorSchema;
}

/** Every event the server sends, with its payload's class; the compiler keeps the keys exact. */
export const EVENT_SCHEMAS: {
  [E in keyof ServerToClientEvents]: new () => Parameters<ServerToClientEvents[E]>[0];
} = {
  room_created: RoomCreatedEventSchema,
  message_created: MessageCreatedEventSchema,
  message_updated: MessageUpdatedEventSchema,
  message_deleted: MessageDeletedEventSchema,
  participants_added: ParticipantsAddedEventSchema,
  participant_left: ParticipantLeftEventSchema,
  room_read: RoomReadEventSchema,
  typing: TypingEventSchema,
  presence: PresenceEventSchema,
  resync: ResyncEventSchema,
  exception: ExceptionEventSchema,
};
