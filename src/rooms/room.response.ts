import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageResponse, toMessageResponse } from '../messages/message.response.js';
import type { Participant, ReadMarker, RoomView } from './room.js';
import type { TypingState } from './typing.service.js';

// Classes rather than interfaces so the API documents (OpenAPI, AsyncAPI)
// read the shapes the mappers return; `implements` keeps each in step with
// the domain type it shows.

export class ParticipantResponse implements Participant {
  @ApiProperty({ example: 'user_123' })
  id: string;

  @ApiProperty({ example: 'Alice' })
  name: string;
}

export class RoomResponse {
  @ApiProperty({ example: 'room_9a1c0e' })
  id: string;

  @ApiProperty({ type: [ParticipantResponse], description: 'By name, then id' })
  participants: ParticipantResponse[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: MessageResponse, nullable: true, description: 'The newest message, or null' })
  lastMessage: MessageResponse | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "A group room's name (§10); null for direct rooms",
  })
  name: string | null;

  /** The caller's read marker (§6), on GET /rooms and GET /rooms/{roomId}. */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: "The caller's read marker (GET /rooms…)" })
  lastReadSeq?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Messages after the marker (GET /rooms…)',
  })
  unreadCount?: number;
}

export const toRoomResponse = (room: RoomView): RoomResponse => ({
  id: room.id,
  participants: room.participants,
  createdAt: room.createdAt.toISOString(),
  lastMessage: room.lastMessage && toMessageResponse(room.lastMessage),
  name: room.name,
  ...room.reader,
});

/** One participant's marker in `GET /rooms/{roomId}/reads`. */
export class ParticipantReadResponse implements Omit<ReadMarker, 'roomId'> {
  @ApiProperty({ example: 'user_123' })
  userId: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  lastReadSeq: number;
}

/** Where a participant has read a room up to (§6). */
export class ReadMarkerResponse extends ParticipantReadResponse implements ReadMarker {
  @ApiProperty({ example: 'room_9a1c0e' })
  roomId: string;
}

/** The `typing` action's result (§7). */
export class TypingStateResponse implements TypingState {
  @ApiProperty({ example: 'room_9a1c0e' })
  roomId: string;

  @ApiProperty({ example: 'user_123' })
  userId: string;

  @ApiProperty()
  typing: boolean;
}
