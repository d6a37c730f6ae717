import type { Message } from './message.js';

export interface MessageResponse {
  roomId: string;
  messageId: string;
  content: string;
  senderId: string;
  createdAt: string;
  status: 'success';
  seq: number;
  rev: number;
  editedAt: string | null;
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
export interface ChangesResponse {
  /** Each message changed after `since`, once, in its latest state, by `rev`. */
  changes: MessageResponse[];
  /** The room's current `rev`. */
  rev: number;
}
