import type { Message } from '../messages/message.js';

export interface Participant {
  id: string;
  name: string;
}

/** Where a participant has read a room up to (§6). */
export interface ReadMarker {
  roomId: string;
  userId: string;
  lastReadSeq: number;
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
  /** When the room last saw activity, to the microsecond (ISO 8601): the order of a user's rooms. */
  activityAt: string;
  /** The reading participant's state, when the room is read for one (GET /rooms…). */
  reader?: {
    lastReadSeq: number;
    /** Messages after the marker: all sent by others, since sending moves the sender's marker. */
    unreadCount: number;
  };
}

/** Where a room stands: its last message `seq` and its last change `rev` (§9). */
export interface RoomPosition {
  roomId: string;
  seq: number;
  rev: number;
}
