import type { Server, Socket } from 'socket.io';
import type { ErrorCode } from '../common/chat-error.js';
import type { MessageResponse } from '../messages/message.response.js';
import type { RoomResponse } from '../rooms/room.response.js';

/** What a client may emit, with the payload each action takes. */
export const CLIENT_ACTIONS = ['create_room', 'create_message'] as const;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

export interface RoomCreatedEvent {
  type: 'room_created';
  room: RoomResponse;
}

export interface MessageCreatedEvent {
  type: 'message_created';
  message: MessageResponse;
}

export interface ExceptionEvent {
  action: string;
  code: ErrorCode;
  message: string;
  details?: string[];
}

export type ActionAck =
  | { status: 'success'; room: RoomResponse }
  | { status: 'success'; message: MessageResponse }
  | { status: 'error'; error: { code: ErrorCode; message: string; details?: string[] } };

/** Events the server sends; shared by the gateway and the tests. */
export interface ServerToClientEvents {
  room_created: (event: RoomCreatedEvent) => void;
  message_created: (event: MessageCreatedEvent) => void;
  exception: (event: ExceptionEvent) => void;
}

/** Events a client sends; the ack is optional. */
export interface ClientToServerEvents {
  create_room: (payload: unknown, ack?: (answer: ActionAck) => void) => void;
  create_message: (payload: unknown, ack?: (answer: ActionAck) => void) => void;
  message: (payload: unknown, ack?: (answer: ActionAck) => void) => void;
}

/** Every socket of a user joins this room, on whichever instance it is. */
export const userChannel = (userId: string): string => `user:${userId}`;

/** What the handshake leaves on every socket. */
interface SocketData {
  userId: string;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
