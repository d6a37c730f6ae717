import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { ID_PATTERN } from '../common/string-rules.js';
import { RoomsRepository } from './rooms.repository.js';

const MAX_CACHED_ROOMS = 100_000;

/**
 * Who is in which room, answered from memory after the first look-up.
 * Correct on every instance without invalidation because a room's
 * participants are fixed when it is created and never change; only rooms that
 * exist are cached, so a room created on another instance is found on its
 * first use here.
 */
@Injectable()
export class RoomMembership {
  private readonly cache = new Map<string, readonly string[]>();

  constructor(private readonly rooms: RoomsRepository) {}

  remember(roomId: string, participantIds: readonly string[]): void {
    if (this.cache.size >= MAX_CACHED_ROOMS) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(roomId, participantIds);
  }

  /** The participants of the room, after checking the caller is one of them. */
  async requireParticipant(callerId: string, roomId: string): Promise<readonly string[]> {
    const participantIds = await this.participantsOf(roomId);
    if (!participantIds) {
      throw ChatError.notFound(`Room ${roomId} does not exist`);
    }
    if (!participantIds.includes(callerId)) {
      throw ChatError.forbidden(`You are not a participant of room ${roomId}`);
    }
    return participantIds;
  }

  private async participantsOf(roomId: string): Promise<readonly string[] | null> {
    const cached = this.cache.get(roomId);
    if (cached) {
      return cached;
    }
    // Path parameters arrive unchecked: an id no room can have is answered
    // here, before it reaches the database (which refuses NUL bytes, say).
    // Cached ids are ones we made or ones that passed this check.
    if (!ID_PATTERN.test(roomId)) {
      return null;
    }
    const participantIds = await this.rooms.participantIds(roomId);
    if (participantIds.length === 0) {
      return null; // every room has participants, so none means no room
    }
    this.remember(roomId, participantIds);
    return participantIds;
  }
}
