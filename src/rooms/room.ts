import type { Message } from '../messages/message.js';

export interface Participant {
  id: string;
  name: string;
}

/** A room as its participants see it. */
export interface RoomView {
  id: string;
  /** A group room's name (§10); null for direct rooms and unnamed groups. */
  name: string | null;
  createdAt: Date;
  /** By name, then id, as GET /users lists people. */
  participants: Participant[];
  lastMessage: Message | null;
}
