import { toMessageResponse, type MessageResponse } from '../messages/message.response.js';
import type { Participant, RoomView } from './room.js';

export interface RoomResponse {
  id: string;
  participants: Participant[];
  createdAt: string;
  lastMessage: MessageResponse | null;
  name: string | null;
  /** The caller's read marker (§6), on GET /rooms and GET /rooms/{roomId}. */
  lastReadSeq?: number;
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
