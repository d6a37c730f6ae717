import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChatError } from '../common/chat-error.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { UsersService } from '../users/users.service.js';
import { directKey, roomParticipants } from './participants.js';
import { RoomMembership } from './room-membership.js';
import type { ParticipantResponse, RoomResponse } from './room.response.js';
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
    const participants = await this.requireUsers(participantIds);
    const key = directKey(participantIds);
    const inserted = await insertRoom(this.db, participantIds, key);
    if (!inserted) {
      // Both people of the pair asked at once, or the room already existed.
      return { room: await this.existingDirectRoom(key!), created: false };
    }
    this.membership.remember(inserted.id, participantIds);
    const room: RoomResponse = {
      id: inserted.id,
      participants,
      createdAt: inserted.createdAt.toISOString(),
      lastMessage: null,
    };
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

  private async requireUsers(ids: readonly string[]): Promise<ParticipantResponse[]> {
    const found = await this.users.findByIds(ids);
    if (found.length !== ids.length) {
      const known = new Set(found.map((u) => u.id));
      const missing = ids.filter((id) => !known.has(id));
      throw ChatError.notFound(`Unknown users: ${missing.join(', ')}`);
    }
    return found
      .map((u) => ({ id: u.id, name: u.name }))
      .sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
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
): Promise<{ id: string; createdAt: Date } | null> {
  const rows: { id: string; created_at: Date }[] = await db.query(
    `WITH room AS (
       INSERT INTO rooms (id, direct_key) VALUES ($1, $2)
       ON CONFLICT (direct_key) DO NOTHING
       RETURNING id, created_at
     ), participants AS (
       INSERT INTO room_participants (room_id, user_id)
       SELECT room.id, unnest($3::text[]) FROM room
     )
     SELECT id, created_at FROM room`,
    [`room_${randomUUID().replaceAll('-', '')}`, key, participantIds],
  );
  return rows.length > 0 ? { id: rows[0].id, createdAt: rows[0].created_at } : null;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
