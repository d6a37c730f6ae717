import type { Message } from '../messages/message.js';

export interface Participant {
  id: string;
  name: string;
}

/** A room as its participants see it. */
export interface RoomView {
  id: string;
  createdAt: Date;
  /** By name, then id, as GET /users lists people. */
  participants: Participant[];
  lastMessage: Message | null;
}
