import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';

/** Who is in a room, as of one version of its membership. */
export interface Membership {
  /**
   * `rooms.members_version`: bumped by every add and leave, in the statement
   * that makes it, under the room's row lock.
   */
  version: number;
  participantIds: readonly string[];
  /** A direct room: its two people never change. */
  direct: boolean;
}

/**
 * What a write answers when the room's membership is no longer the version
 * it was decided on: it changed nothing, and is decided again on a fresh read.
 */
export const MEMBERSHIP_MOVED = Symbol('membership moved');
export type MembershipMoved = typeof MEMBERSHIP_MOVED;

/**
 * All SQL that reads or changes who is in a room. Each change names the
 * version it was decided on and applies only if that is still the room's
 * version once the room is locked, so it is decided on exactly the
 * membership it commits over; when it is not, nothing changes and the
 * caller decides again on a fresh read.
 */
@Injectable()
export class MembershipRepository {
  constructor(private readonly sql: Sql) {}

  /** The room's membership, version and participants read together (one snapshot); null: no such room. */
  async read(roomId: string): Promise<Membership | null> {
    const [row] = await this.sql.query<{ version: number; participant_ids: string[]; direct: boolean }>(
      `SELECT r.members_version AS version, r.direct_key IS NOT NULL AS direct,
         ARRAY(SELECT p.user_id FROM room_participants p WHERE p.room_id = r.id) AS participant_ids
       FROM rooms r WHERE r.id = $1`,
      [roomId],
    );
    return row ? { version: row.version, participantIds: row.participant_ids, direct: row.direct } : null;
  }

  /**
   * Adds people to a group room whose membership is still at `version`.
   * Their read markers start at the room's last `seq` as of the commit (the
   * room is locked, so no message commits in between).
   */
  async add(roomId: string, version: number, userIds: readonly string[]): Promise<true | MembershipMoved> {
    const rows = await this.sql.query(
      `WITH bumped AS (
         UPDATE rooms SET members_version = members_version + 1
         WHERE id = $1 AND members_version = $2 AND direct_key IS NULL
         RETURNING id, last_seq
       ), added AS (
         INSERT INTO room_participants (room_id, user_id, last_read_seq)
         SELECT b.id, u.id, b.last_seq FROM bumped b, unnest($3::text[]) AS u(id)
       )
       SELECT id FROM bumped`,
      [roomId, version, userIds],
    );
    return rows.length > 0 || MEMBERSHIP_MOVED;
  }

  /** Takes `userId` out of a group room whose membership is still at `version`. */
  async remove(roomId: string, version: number, userId: string): Promise<true | MembershipMoved> {
    const rows = await this.sql.query(
      `WITH bumped AS (
         UPDATE rooms SET members_version = members_version + 1
         WHERE id = $1 AND members_version = $2 AND direct_key IS NULL
         RETURNING id
       ), removed AS (
         DELETE FROM room_participants p USING bumped b WHERE p.room_id = b.id AND p.user_id = $3
       )
       SELECT id FROM bumped`,
      [roomId, version, userId],
    );
    return rows.length > 0 || MEMBERSHIP_MOVED;
  }
}
