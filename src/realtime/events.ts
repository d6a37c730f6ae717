import type { Server, Socket } from 'socket.io';
import type { ErrorCode } from '../common/chat-error.js';
import type { MessageResponse } from '../messages/message.response.js';
import type { Participant, ReadMarker, RoomPosition } from '../rooms/room.js';
import type { RoomResponse } from '../rooms/room.response.js';
import type { TypingState } from '../rooms/typing.service.js';
import type { ActionName, ActionSuccess } from './action-table.js';

export interface RoomCreatedEvent {
  type: 'room_created';
  room: RoomResponse;
}

export interface MessageCreatedEvent {
  type: 'message_created';
  message: MessageResponse;
}

/** §9: an edit, or a delete that left a tombstone. */
export interface MessageChangedEvent<Type extends 'message_updated' | 'message_deleted'> {
  type: Type;
  message: MessageResponse;
}

/** §10: to everyone in the room after the change, the new people included. */
export interface ParticipantsAddedEvent {
  type: 'participants_added';
  room: RoomResponse;
  added: Participant[];
  /** Who added them. */
  by: string;
}

/** §10: to those who remain and to the leaver's own sockets. */
export interface ParticipantLeftEvent {
  type: 'participant_left';
  roomId: string;
  userId: string;
}

export interface RoomReadEvent {
  type: 'room_read';
  read: ReadMarker;
}

export interface TypingEvent extends TypingState {
  type: 'typing';
}

/** §8: a user came online or went offline; sent to everyone who shares a room with them. */
export interface PresenceEvent {
  type: 'presence';
  userId: string;
  online: boolean;
  /** When the last socket went away; null while online. */
  lastSeenAt: string | null;
}

/**
 * This socket may have missed events: its instance lost its subscription to
 * the other instances' broadcasts (Redis restarted or was unreachable).
 * Names every room of the user with the room's last `seq` and `rev` as the
 * server knows them now; a client whose highest `rev` of a room is lower
 * fetches `GET /rooms/{roomId}/changes?since=<its rev>`. Rooms created or
 * joined meanwhile are in it too (a client that does not know one fetches
 * `GET /rooms/{roomId}`).
 */
export interface ResyncEvent {
  type: 'resync';
  rooms: RoomPosition[];
}

export interface ActionFailure {
  status: 'error';
  error: { code: ErrorCode; message: string; details?: string[] };
}

export interface ExceptionEvent {
  action: string;
  code: ErrorCode;
  message: string;
  details?: string[];
}

/** The acknowledgement of an action (of any action when not told which). */
export type ActionAck<A extends ActionName = ActionName> = ActionSuccess<A> | ActionFailure;

/** Events the server sends; shared by the gateway and the tests. */
export interface ServerToClientEvents {
  room_created: (event: RoomCreatedEvent) => void;
  message_created: (event: MessageCreatedEvent) => void;
  message_updated: (event: MessageChangedEvent<'message_updated'>) => void;
  message_deleted: (event: MessageChangedEvent<'message_deleted'>) => void;
  participants_added: (event: ParticipantsAddedEvent) => void;
  participant_left: (event: ParticipantLeftEvent) => void;
  room_read: (event: RoomReadEvent) => void;
  typing: (event: TypingEvent) => void;
  presence: (event: PresenceEvent) => void;
  resync: (event: ResyncEvent) => void;
  exception: (event: ExceptionEvent) => void;
}

/** Events a client sends: one per action of the table, and `message` routed by its `action` field. */
export type ClientToServerEvents = {
  [A in ActionName]: (payload: unknown, ack?: (answer: ActionAck<A>) => void) => void;
} & {
  message: (payload: unknown, ack?: (answer: ActionAck) => void) => void;
};

/** Every socket of a user joins this room, on whichever instance it is. */
export const userChannel = (userId: string): string => `user:${userId}`;
export const isUserChannel = (room: string): boolean => room.startsWith('user:');
export const userOfChannel = (channel: string): string => channel.slice('user:'.length);

/** What the handshake leaves on every socket. */
interface SocketData {
  userId: string;
  /** When the token it connected with expires; the socket is disconnected then. */
  expiresAt: Date;
  /** Ties the socket's action log lines to its handshake (X-Request-Id, or a fresh id). */
  requestId: string;
  /** Set once its handshake is through: from then on its disconnect gives its quota place back. */
  connected?: boolean;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
