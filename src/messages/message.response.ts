import type { Message } from './message.js';

export interface MessageResponse {
  roomId: string;
  messageId: string;
  content: string;
  senderId: string;
  createdAt: string;
  status: 'success';
  seq: number;
}

export const toMessageResponse = (message: Message): MessageResponse => ({
  roomId: message.roomId,
  messageId: message.messageId,
  content: message.content,
  senderId: message.senderId,
  createdAt: message.createdAt.toISOString(),
  status: 'success',
  seq: message.seq,
});
