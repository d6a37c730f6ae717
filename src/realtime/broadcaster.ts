import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { Metrics } from '../metrics/metrics.js';
import type { MessageResponse } from '../messages/message.response.js';
import type { Participant, ReadMarker, RoomPosition } from '../rooms/room.js';
import type { RoomResponse } from '../rooms/room.response.js';
import type { TypingState } from '../rooms/typing.service.js';
import {
  isUserChannel,
  userChannel,
  userOfChannel,
  type ChatServer,
  type PresenceEvent,
  type ServerToClientEvents,
} from './events.js';

type EventName = keyof ServerToClientEvents;

/**
 * Delivers domain events to every connected socket of the given users, on
 * every instance (the Redis adapter carries the emit). Addressing users rather
 * than socket rooms means the participant list in Postgres alone decides who
 * hears a room: there is no per-socket membership to fall out of date.
 */
@Injectable()
export class Broadcaster {
  private server: ChatServer | null = null;
  /** Per event, the bound counters of broadcasts and users addressed: counting allocates nothing. */
  private readonly counted = new Map<EventName, { events: Counter.Internal; recipients: Counter.Internal }>();

  constructor(private readonly metrics: Metrics) {}

  /** The users' channels, counting the broadcast and its fan-out. */
  private channels(event: EventName, userIds: readonly string[]): string[] {
    let counters = this.counted.get(event);
    if (!counters) {
      counters = {
        events: this.metrics.broadcasts.labels(event),
        recipients: this.metrics.broadcastRecipients.labels(event),
      };
      this.counted.set(event, counters);
    }
    counters.events.inc();
    counters.recipients.inc(userIds.length);
    return userIds.map(userChannel);
  }

  attach(server: ChatServer): void {
    this.server = server;
  }

  roomCreated(room: RoomResponse): void {
    const userIds = room.participants.map((p) => p.id);
    this.server
      ?.to(this.channels('room_created', userIds))
      .emit('room_created', { type: 'room_created', room });
  }

  messageCreated(message: MessageResponse, participantIds: readonly string[]): void {
    this.server
      ?.to(this.channels('message_created', participantIds))
      .emit('message_created', { type: 'message_created', message });
  }

  messageUpdated(message: MessageResponse, participantIds: readonly string[]): void {
    this.server
      ?.to(this.channels('message_updated', participantIds))
      .emit('message_updated', { type: 'message_updated', message });
  }

  messageDeleted(message: MessageResponse, participantIds: readonly string[]): void {
    this.server
      ?.to(this.channels('message_deleted', participantIds))
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
      ?.to(this.channels('participants_added', participantIds))
      .emit('participants_added', { type: 'participants_added', room, added, by });
  }

  /** To those who remain and to the leaver's own sockets. */
  participantLeft(roomId: string, userId: string, recipientIds: readonly string[]): void {
    this.server
      ?.to(this.channels('participant_left', recipientIds))
      .emit('participant_left', { type: 'participant_left', roomId, userId });
  }

  roomRead(read: ReadMarker, participantIds: readonly string[]): void {
    this.server
      ?.to(this.channels('room_read', participantIds))
      .emit('room_read', { type: 'room_read', read });
  }

  typing(state: TypingState, recipientIds: readonly string[]): void {
    if (recipientIds.length > 0) {
      this.server?.to(this.channels('typing', recipientIds)).emit('typing', { type: 'typing', ...state });
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
      this.server?.to(this.channels('presence', userIds)).emit('presence', event);
    }
  }
}
