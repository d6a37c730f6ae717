import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChatError } from '../common/chat-error.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { UsersService } from '../users/users.service.js';
import { directKey, roomParticipants } from './participants.js';
import { RoomMembership } from './room-membership.js';
import type { RoomResponse } from './room.response.js';
import { RoomViews } from './room-views.js';

@Injectable()
export class RoomsService {
  constructor(
    private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly membership: RoomMembership,
    private readonly views: RoomViews,
    private readonly broadcaster: Broadcaster,
  ) {}

  /**
   * Creates the room and tells every participant, or returns the existing
   * direct room of the pair (`created: false`, no broadcast).
   */
  async create(
    callerId: string,
    requested: readonly string[],
  ): Promise<{ room: RoomResponse; created: boolean }> {
    const participantIds = roomParticipants(callerId, requested);
    await this.requireUsers(participantIds);
    const key = directKey(participantIds);
    const insertedId = await insertRoom(this.db, participantIds, key);
    if (!insertedId) {
      // Both people of the pair asked at once, or the room already existed.
      return { room: await this.existingDirectRoom(key!), created: false };
    }
    this.membership.remember(insertedId, participantIds);
    // Read back like any other room, so every answer has the same shape and order.
    const [room] = await this.views.byIds([insertedId]);
    this.broadcaster.roomCreated(room);
    return { room, created: true };
  }

  listForUser(userId: string): Promise<RoomResponse[]> {
    return this.views.ofUser(userId);
  }

  async getForUser(roomId: string, userId: string): Promise<RoomResponse> {
    await this.membership.requireParticipant(roomId, userId);
    const [room] = await this.views.byIds([roomId]);
    return room;
  }

  private async requireUsers(ids: readonly string[]): Promise<void> {
    const found = await this.users.findByIds(ids);
    if (found.length !== ids.length) {
      const known = new Set(found.map((u) => u.id));
      const missing = ids.filter((id) => !known.has(id));
      throw ChatError.notFound(`Unknown users: ${missing.join(', ')}`);
    }
  }

  private async existingDirectRoom(key: string): Promise<RoomResponse> {
    const [{ id }]: { id: string }[] = await this.db.query('SELECT id FROM rooms WHERE direct_key = $1', [
      key,
    ]);
    const [room] = await this.views.byIds([id]);
    return room;
  }
}

/**
 * The room and its participants in one statement, so they appear together
 * or not at all. Null when the direct room of the pair already exists.
 */
async function insertRoom(
  db: DataSource,
  participantIds: readonly string[],
  key: string | null,
): Promise<string | null> {
  const rows: { id: string }[] = await db.query(
    `WITH room AS (
       INSERT INTO rooms (id, direct_key) VALUES ($1, $2)
       ON CONFLICT (direct_key) DO NOTHING
       RETURNING id
     ), participants AS (
       INSERT INTO room_participants (room_id, user_id)
       SELECT room.id, unnest($3::text[]) FROM room
     )
     SELECT id FROM room`,
    [`room_${randomUUID().replaceAll('-', '')}`, key, participantIds],
  );
  return rows[0]?.id ?? null;
}
