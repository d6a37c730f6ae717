import { ApiProperty } from '@nestjs/swagger';
import type { Message } from './message.js';

/**
 * A message as every transport shows it: the seed's fields, then `seq` (§3)
 * and `rev`, `editedAt`, `deletedAt` (§9). A class so the API documents
 * (OpenAPI, AsyncAPI) read the same shape the mapper below returns.
 */
export class MessageResponse {
  @ApiProperty({ example: 'room_9a1c0e' })
  roomId: string;

  @ApiProperty({ description: 'Client-generated, unique within its room', example: 'msg_002' })
  messageId: string;

  @ApiProperty({ description: '"" once deleted', example: 'Hi!' })
  content: string;

  @ApiProperty({ example: 'user_456' })
  senderId: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ enum: ['success'] })
  status: 'success';

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: "The message's place in its room: 1, 2, 3… no gaps",
  })
  seq: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: "The room's change counter at this message's latest change",
  })
  rev: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  editedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deletedAt: string | null;
}

export const toMessageResponse = (message: Message): MessageResponse => ({
  roomId: message.roomId,
  messageId: message.messageId,
  content: message.content,
  senderId: message.senderId,
  createdAt: message.createdAt.toISOString(),
  status: 'success',
  seq: message.seq,
  rev: message.rev,
  editedAt: message.editedAt?.toISOString() ?? null,
  deletedAt: message.deletedAt?.toISOString() ?? null,
});

/** `GET /rooms/:roomId/changes` (§9). */
export class ChangesResponse {
  @ApiProperty({
    type: [MessageResponse],
    description: 'Each message changed after `since`, once, in its latest state, by `rev`',
  })
  changes: MessageResponse[];

  @ApiProperty({ type: 'integer', minimum: 0, description: "The room's current `rev`" })
  rev: number;
}
