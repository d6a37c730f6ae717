import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import type { Message } from '../messages/message.js';
import type { Participant, RoomView } from './room.js';

interface RoomRow {
  id: string;
  name: string | null;
  created_at: Date;
  message_id: string | null;
  seq: number | null;
  rev: number | null;
  sender_id: string | null;
  content: string | null;
  message_created_at: Date | null;
  edited_at: Date | null;
  deleted_at: Date | null;
}

const ROOM_COLUMNS = `
  r.id, r.name, r.created_at, m.message_id, m.seq, m.rev, m.sender_id, m.content,
  m.created_at AS message_created_at, m.edited_at, m.deleted_at
  FROM rooms r
  LEFT JOIN messages m ON m.room_id = r.id AND m.seq = r.last_seq`;

/** All SQL about rooms and their participants. */
@Injectable()
export class RoomsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The room and its participants in one statement, so they appear together
   * or not at all. False when `directKey` is taken: the pair's direct room
   * exists already.
   */
  async insert(room: {
    id: string;
    name: string | null;
    directKey: string | null;
    participantIds: readonly string[];
  }): Promise<boolean> {
    const rows = await this.sql.query(
      `WITH room AS (
         INSERT INTO rooms (id, direct_key, name) VALUES ($1, $2, $4)
         ON CONFLICT (direct_key) DO NOTHING
         RETURNING id
       ), participants AS (
         INSERT INTO room_participants (room_id, user_id)
         SELECT room.id, unnest($3::text[]) FROM room
       )
       SELECT id FROM room`,
      [room.id, room.directKey, room.participantIds, room.name],
    );
    return rows.length > 0;
  }

  async findDirectRoomId(directKey: string): Promise<string | null> {
    const [row] = await this.sql.query<{ id: string }>('SELECT id FROM rooms WHERE direct_key = $1', [
      directKey,
    ]);
    return row?.id ?? null;
  }

  /** The user's rooms, most recent activity first. */
  async viewsOfUser(userId: string): Promise<RoomView[]> {
    const rows = await this.sql.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS}
       JOIN room_participants p ON p.room_id = r.id AND p.user_id = $1
       ORDER BY r.last_activity_at DESC, r.id`,
      [userId],
    );
    return this.withParticipants(rows);
  }

  async viewsByIds(roomIds: readonly string[]): Promise<RoomView[]> {
    const rows = await this.sql.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS} WHERE r.id = ANY($1::text[]) ORDER BY r.id`,
      [roomIds],
    );
    return this.withParticipants(rows);
  }

  private async withParticipants(rows: RoomRow[]): Promise<RoomView[]> {
    const participants = await this.participantsOf(rows.map((r) => r.id));
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      participants: participants.get(row.id) ?? [],
      lastMessage: lastMessage(row),
    }));
  }

  private async participantsOf(roomIds: string[]): Promise<Map<string, Participant[]>> {
    const rows = await this.sql.query<Participant & { room_id: string }>(
      `SELECT p.room_id, u.id, u.name
       FROM room_participants p JOIN users u ON u.id = p.user_id
       WHERE p.room_id = ANY($1::text[])
       ORDER BY u.name, u.id`,
      [roomIds],
    );
    const byRoom = new Map<string, Participant[]>();
    for (const { room_id, id, name } of rows) {
      const list = byRoom.get(room_id) ?? [];
      list.push({ id, name });
      byRoom.set(room_id, list);
    }
    return byRoom;
  }
}

function lastMessage(row: RoomRow): Message | null {
  if (row.message_id === null) {
    return null;
  }
  return {
    roomId: row.id,
    messageId: row.message_id,
    seq: row.seq!,
    rev: row.rev!,
    senderId: row.sender_id!,
    content: row.content!,
    createdAt: row.message_created_at!,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
  };
}
