import { Injectable } from '@nestjs/common';
import type { MessageResponse } from '../messages/message.response.js';
import type { Participant, ReadMarker, RoomPosition } from '../rooms/room.js';
import type { RoomResponse } from '../rooms/room.response.js';
import type { TypingState } from '../rooms/typing.service.js';
import { isUserChannel, userChannel, userOfChannel, type ChatServer, type PresenceEvent } from './events.js';

/**
 * Delivers domain events to every connected socket of the given users, on
 * every instance (the Redis adapter carries the emit). Addressing users rather
 * than socket rooms means the participant list in Postgres alone decides who
 * hears a room: there is no per-socket membership to fall out of date.
 */
@Injectable()
export class Broadcaster {
  private server: ChatServer | null = null;

  attach(server: ChatServer): void {
    this.server = server;
  }

  roomCreated(room: RoomResponse): void {
    const userIds = room.participants.map((p) => p.id);
    this.server?.to(userIds.map(userChannel)).emit('room_created', { type: 'room_created', room });
  }

  messageCreated(message: MessageResponse, participantIds: readonly string[]): void {
    this.server
      ?.to(participantIds.map(userChannel))
      .emit('message_created', { type: 'message_created', message });
  }

  messageUpdated(message: MessageResponse, participantIds: readonly string[]): void {
    this.server
      ?.to(participantIds.map(userChannel))
      .emit('message_updated', { type: 'message_updated', message });
  }

  messageDeleted(message: MessageResponse, participantIds: readonly string[]): void {
    this.server
      ?.to(participantIds.map(userChannel))
      .emit('message_deleted', { type: 'message_deleted', message });
  }

  /** To everyone in the room after the change, the new people included. */
  participantsAdded(
    room: RoomResponse,
    added: Participant[],
    by: string,
    participantIds: readonly string[],
  ): void {
    this.server
      ?.to(participantIds.map(userChannel))
      .emit('participants_added', { type: 'participants_added', room, added, by });
  }

  /** To those who remain and to the leaver's own sockets. */
  participantLeft(roomId: string, userId: string, recipientIds: readonly string[]): void {
    this.server
      ?.to(recipientIds.map(userChannel))
      .emit('participant_left', { type: 'participant_left', roomId, userId });
  }

  roomRead(read: ReadMarker, participantIds: readonly string[]): void {
    this.server?.to(participantIds.map(userChannel)).emit('room_read', { type: 'room_read', read });
  }

  typing(state: TypingState, recipientIds: readonly string[]): void {
    if (recipientIds.length > 0) {
      this.server?.to(recipientIds.map(userChannel)).emit('typing', { type: 'typing', ...state });
    }
  }

  /** The users with a socket on this instance. */
  localUserIds(): string[] {
    const rooms = this.server?.sockets.adapter.rooms.keys() ?? [];
    return [...rooms].filter(isUserChannel).map(userOfChannel);
  }

  /** To this instance's sockets of the user only: what they may have missed is local knowledge. */
  resync(userId: string, rooms: RoomPosition[]): void {
    this.server?.local.to(userChannel(userId)).emit('resync', { type: 'resync', rooms });
  }

  /** Disconnects every socket of the user on every instance (the adapter carries it). */
  disconnectUser(userId: string): void {
    this.server?.in(userChannel(userId)).disconnectSockets(true);
  }

  presence(event: PresenceEvent, userIds: readonly string[]): void {
    // An empty list would address every socket, not none.
    if (userIds.length > 0) {
      this.server?.to(userIds.map(userChannel)).emit('presence', event);
    }
  }
}
