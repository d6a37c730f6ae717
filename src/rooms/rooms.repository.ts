import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import type { Message } from '../messages/message.js';
import type { Membership } from './membership.repository.js';
import type { Participant, ReadMarker, RoomPosition, RoomView } from './room.js';
import type { RoomCursor } from './room-cursor.js';

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
  activity_at: string;
  /** Null when the room is not read for a participant. */
  last_read_seq: number | null;
  unread_count: number | null;
}

// `reader` is the participant row of whoever reads the room, if anyone. The
// unread count is seq arithmetic less the deleted messages after the marker,
// counted on a partial index that holds deleted messages only: never a scan
// of the room's history.
const ROOM_COLUMNS = `
  r.id, r.name, r.created_at, m.message_id, m.seq, m.rev, m.sender_id, m.content,
  m.created_at AS message_created_at, m.edited_at, m.deleted_at,
  to_char(r.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity_at,
  reader.last_read_seq,
  r.last_seq - reader.last_read_seq - (
    SELECT count(*) FROM messages d
    WHERE d.room_id = r.id AND d.deleted_at IS NOT NULL AND d.seq > reader.last_read_seq
  )::int AS unread_count
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

  /**
   * A page of the user's rooms, most recent activity first (then by id):
   * those after `after` in that order, at most `limit`.
   */
  async viewsOfUser(
    userId: string,
    { after, limit }: { after: RoomCursor | null; limit: number },
  ): Promise<RoomView[]> {
    const rows = await this.sql.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS}
       JOIN room_participants reader ON reader.room_id = r.id AND reader.user_id = $1
       WHERE $2::timestamptz IS NULL
          OR r.last_activity_at < $2 OR (r.last_activity_at = $2 AND r.id > $3)
       ORDER BY r.last_activity_at DESC, r.id
       LIMIT $4`,
      [userId, after?.activityAt ?? null, after?.id ?? null, limit],
    );
    return this.withParticipants(rows);
  }

  /** Where each room of these users stands now (its last seq and rev), by user. */
  async positionsOf(userIds: readonly string[]): Promise<Map<string, RoomPosition[]>> {
    const rows = await this.sql.query<{
      user_id: string;
      room_id: string;
      last_seq: number;
      last_rev: number;
    }>(
      `SELECT p.user_id, r.id AS room_id, r.last_seq, r.last_rev
       FROM room_participants p JOIN rooms r ON r.id = p.room_id
       WHERE p.user_id = ANY($1)`,
      [userIds],
    );
    const byUser = new Map<string, RoomPosition[]>();
    for (const row of rows) {
      const rooms = byUser.get(row.user_id) ?? [];
      rooms.push({ roomId: row.room_id, seq: row.last_seq, rev: row.last_rev });
      byUser.set(row.user_id, rooms);
    }
    return byUser;
  }

  /** With `readerId`, each room carries that participant's read state. */
  async viewsByIds(roomIds: readonly string[], readerId: string | null = null): Promise<RoomView[]> {
    const rows = await this.sql.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS}
       LEFT JOIN room_participants reader ON reader.room_id = r.id AND reader.user_id = $2
       WHERE r.id = ANY($1::text[]) ORDER BY r.id`,
      [roomIds, readerId],
    );
    return this.withParticipants(rows);
  }

  /**
   * Moves the user's marker up to `seq`, capped at the room's last seq; it
   * never moves back. Answers the room's membership, read in the same
   * snapshot (who hears the receipt), and the marker after the call with
   * whether it moved (null when the user is not a participant); null when
   * there is no such room.
   *
   * The marker's row is locked before it is compared: a message batch that
   * moved it meanwhile (§6) is waited for and its value is the one compared
   * and answered, not the one this statement's snapshot saw.
   */
  async moveReadMarker(
    roomId: string,
    userId: string,
    seq: number,
  ): Promise<{ membership: Membership; marker: { lastReadSeq: number; moved: boolean } | null } | null> {
    const [row] = await this.sql.query<{
      version: number;
      direct: boolean;
      participant_ids: string[];
      current: number | null;
      moved: number | null;
    }>(
      `WITH room AS (
         SELECT last_seq, members_version, direct_key IS NOT NULL AS direct FROM rooms WHERE id = $1
       ), current AS (
         SELECT last_read_seq FROM room_participants WHERE room_id = $1 AND user_id = $2 FOR NO KEY UPDATE
       ), moved AS (
         UPDATE room_participants p SET last_read_seq = LEAST($3::int, r.last_seq)
         FROM room r, current c
         WHERE p.room_id = $1 AND p.user_id = $2 AND LEAST($3::int, r.last_seq) > c.last_read_seq
         RETURNING p.last_read_seq
       )
       SELECT r.members_version AS version, r.direct,
         ARRAY(SELECT user_id FROM room_participants WHERE room_id = $1) AS participant_ids,
         (SELECT last_read_seq FROM current) AS current, (SELECT last_read_seq FROM moved) AS moved
       FROM room r`,
      [roomId, userId, seq],
    );
    if (!row) {
      return null;
    }
    const membership = { version: row.version, participantIds: row.participant_ids, direct: row.direct };
    if (row.current === null) {
      return { membership, marker: null };
    }
    const marker =
      row.moved === null
        ? { lastReadSeq: row.current, moved: false }
        : { lastReadSeq: row.moved, moved: true };
    return { membership, marker };
  }

  /** Every participant's marker, by user id. */
  readMarkers(roomId: string): Promise<Omit<ReadMarker, 'roomId'>[]> {
    return this.sql.query<Omit<ReadMarker, 'roomId'>>(
      `SELECT user_id AS "userId", last_read_seq AS "lastReadSeq"
       FROM room_participants WHERE room_id = $1 ORDER BY user_id`,
      [roomId],
    );
  }

  private async withParticipants(rows: RoomRow[]): Promise<RoomView[]> {
    const participants = await this.participantsOf(rows.map((r) => r.id));
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      participants: participants.get(row.id) ?? [],
      lastMessage: lastMessage(row),
      activityAt: row.activity_at,
      ...(row.last_read_seq !== null && {
        reader: { lastReadSeq: row.last_read_seq, unreadCount: row.unread_count! },
      }),
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
