import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChatError } from '../common/chat-error.js';
import { ID_PATTERN } from '../common/string-rules.js';

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

  constructor(private readonly db: DataSource) {}

  remember(roomId: string, participantIds: readonly string[]): void {
    if (this.cache.size >= MAX_CACHED_ROOMS) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(roomId, participantIds);
  }

  /** The participants of the room, after checking the caller is one of them. */
  async requireParticipant(roomId: string, userId: string): Promise<readonly string[]> {
    const participantIds = await this.participantsOf(roomId);
    if (!participantIds) {
      throw ChatError.notFound(`Room ${roomId} does not exist`);
    }
    if (!participantIds.includes(userId)) {
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
    const rows: { user_id: string }[] = await this.db.query(
      'SELECT user_id FROM room_participants WHERE room_id = $1',
      [roomId],
    );
    if (rows.length === 0) {
      return null; // every room has participants, so no rows means no room
    }
    const participantIds = rows.map((r) => r.user_id);
    this.remember(roomId, participantIds);
    return participantIds;
  }
}
