/**
 * The service's wire shapes, written from CONTRACT.md as any client would
 * (the server's own types pull in Nest and socket.io). Fields of part two
 * (§9–§10) are optional: a server without them simply leaves them out, and
 * the client falls back (`?after=` instead of the change feed, no names).
 */

export interface User {
  id: string;
  name: string;
  avatar: string | null;
  online?: boolean;
  lastSeenAt?: string | null;
}

export interface SignedUp extends User {
  token: string;
}

export interface Participant {
  id: string;
  name: string;
}

export interface Message {
  roomId: string;
  messageId: string;
  content: string;
  senderId: string;
  createdAt: string;
  status: 'success';
  seq: number;
  rev?: number;
  editedAt?: string | null;
  deletedAt?: string | null;
}

export interface Room {
  id: string;
  participants: Participant[];
  createdAt: string;
  lastMessage: Message | null;
  name?: string | null;
  lastReadSeq?: number;
  unreadCount?: number;
}

export interface ReadMarker {
  roomId: string;
  userId: string;
  lastReadSeq: number;
}

export interface Changes {
  changes: Message[];
  rev: number;
}

export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ActionFailure {
  status: 'error';
  error: { code: ErrorCode; message: string; details?: string[] };
}

export type Ack<Key extends string, T> = ({ status: 'success' } & Record<Key, T>) | ActionFailure;

/** What each action sends and what its ack carries. */
export interface ClientToServerEvents {
  create_room: (
    payload: { participants: string[]; name?: string },
    ack: (a: Ack<'room', Room>) => void,
  ) => void;
  create_message: (
    payload: { roomId: string; messageId: string; content: string },
    ack: (a: Ack<'message', Message>) => void,
  ) => void;
  edit_message: (
    payload: { roomId: string; messageId: string; content: string },
    ack: (a: Ack<'message', Message>) => void,
  ) => void;
  delete_message: (
    payload: { roomId: string; messageId: string },
    ack: (a: Ack<'message', Message>) => void,
  ) => void;
  mark_read: (payload: { roomId: string; seq: number }, ack: (a: Ack<'read', ReadMarker>) => void) => void;
  typing: (payload: { roomId: string; typing: boolean }, ack: (a: Ack<'typing', unknown>) => void) => void;
  add_participants: (
    payload: { roomId: string; participants: string[] },
    ack: (a: Ack<'room', Room>) => void,
  ) => void;
  leave_room: (payload: { roomId: string }, ack: (a: Ack<'room', Room>) => void) => void;
}

export interface ServerToClientEvents {
  room_created: (event: { room: Room }) => void;
  message_created: (event: { message: Message }) => void;
  message_updated: (event: { message: Message }) => void;
  message_deleted: (event: { message: Message }) => void;
  room_read: (event: { read: ReadMarker }) => void;
  typing: (event: { roomId: string; userId: string; typing: boolean }) => void;
  presence: (event: { userId: string; online: boolean; lastSeenAt: string | null }) => void;
  participants_added: (event: { room: Room; added: Participant[]; by: string }) => void;
  participant_left: (event: { roomId: string; userId: string }) => void;
}
