import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MessageResponse } from '../messages/message.response.js';
import type { ParticipantResponse, RoomResponse } from './room.response.js';

interface RoomRow {
  id: string;
  created_at: Date;
  message_id: string | null;
  seq: number | null;
  sender_id: string | null;
  content: string | null;
  message_created_at: Date | null;
}

const ROOM_COLUMNS = `
  r.id, r.created_at, m.message_id, m.seq, m.sender_id, m.content,
  m.created_at AS message_created_at
  FROM rooms r
  LEFT JOIN messages m ON m.room_id = r.id AND m.seq = r.last_seq`;

/** Reads rooms in their response shape: participants and last message included. */
@Injectable()
export class RoomViews {
  constructor(private readonly db: DataSource) {}

  /** The user's rooms, most recent activity first. */
  async ofUser(userId: string): Promise<RoomResponse[]> {
    const rows: RoomRow[] = await this.db.query(
      `SELECT ${ROOM_COLUMNS}
       JOIN room_participants p ON p.room_id = r.id AND p.user_id = $1
       ORDER BY r.last_activity_at DESC, r.id`,
      [userId],
    );
    return this.withParticipants(rows);
  }

  async byIds(roomIds: readonly string[]): Promise<RoomResponse[]> {
    const rows: RoomRow[] = await this.db.query(
      `SELECT ${ROOM_COLUMNS} WHERE r.id = ANY($1::text[]) ORDER BY r.id`,
      [roomIds],
    );
    return this.withParticipants(rows);
  }

  private async withParticipants(rows: RoomRow[]): Promise<RoomResponse[]> {
    const participants = await this.participantsOf(rows.map((r) => r.id));
    return rows.map((row) => ({
      id: row.id,
      participants: participants.get(row.id) ?? [],
      createdAt: row.created_at.toISOString(),
      lastMessage: lastMessage(row),
    }));
  }

  private async participantsOf(roomIds: string[]): Promise<Map<string, ParticipantResponse[]>> {
    const rows: { room_id: string; id: string; name: string }[] = await this.db.query(
      `SELECT p.room_id, u.id, u.name
       FROM room_participants p JOIN users u ON u.id = p.user_id
       WHERE p.room_id = ANY($1::text[])
       ORDER BY u.name, u.id`, // as GET /users lists people
      [roomIds],
    );
    const byRoom = new Map<string, ParticipantResponse[]>();
    for (const { room_id, id, name } of rows) {
      const list = byRoom.get(room_id) ?? [];
      list.push({ id, name });
      byRoom.set(room_id, list);
    }
    return byRoom;
  }
}

function lastMessage(row: RoomRow): MessageResponse | null {
  if (row.message_id === null) {
    return null;
  }
  return {
    roomId: row.id,
    messageId: row.message_id,
    content: row.content!,
    senderId: row.sender_id!,
    createdAt: row.message_created_at!.toISOString(),
    status: 'success',
    seq: row.seq!,
  };
}
