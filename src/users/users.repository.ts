import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import type { User } from './user.js';

export interface UserFilter {
  /** Everyone but this user. */
  exceptId: string;
  /** A case-insensitive substring of the name. */
  nameContains?: string;
  /** Only users after this one in (name, id) order. */
  after?: User;
  limit: number;
}

const USER_COLUMNS = 'id, name, avatar, last_seen_at AS "lastSeenAt"';

/** All SQL about users. */
@Injectable()
export class UsersRepository {
  constructor(private readonly sql: Sql) {}

  async insert(user: User): Promise<void> {
    await this.sql.query('INSERT INTO users (id, name, avatar) VALUES ($1, $2, $3)', [
      user.id,
      user.name,
      user.avatar,
    ]);
  }

  async findById(id: string): Promise<User | null> {
    const [user] = await this.sql.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return user ?? null;
  }

  /** The users with these ids that exist, in no particular order. */
  findByIds(ids: readonly string[]): Promise<User[]> {
    return this.sql.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::text[])`, [ids]);
  }

  /** By name then id, the order of `users_name_id_idx`. */
  list({ exceptId, nameContains, after, limit }: UserFilter): Promise<User[]> {
    return this.sql.query<User>(
      `SELECT ${USER_COLUMNS} FROM users
       WHERE id <> $1
         AND ($2::text IS NULL OR name ILIKE '%' || $2 || '%' ESCAPE '\\')
         AND ($3::text IS NULL OR (name, id) > ($3, $4))
       ORDER BY name, id
       LIMIT $5`,
      [
        exceptId,
        nameContains === undefined ? null : escapeLike(nameContains),
        after?.name ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }

  /**
   * Never moves back: a late report of an older departure leaves a newer one
   * in place. Answers the departure stored after it (`at`, or a later one).
   */
  async setLastSeen(userId: string, at: Date): Promise<Date> {
    const [row] = await this.sql.query<{ last_seen_at: Date | null }>(
      `WITH moved AS (
         UPDATE users SET last_seen_at = $2
         WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)
         RETURNING last_seen_at
       )
       SELECT COALESCE((SELECT last_seen_at FROM moved), (SELECT last_seen_at FROM users WHERE id = $1)) AS last_seen_at`,
      [userId, at],
    );
    return row?.last_seen_at ?? at;
  }

  /** Everyone who shares at least one room with the user, not the user. */
  async roomMateIds(userId: string): Promise<string[]> {
    const rows = await this.sql.query<{ user_id: string }>(
      `SELECT DISTINCT mate.user_id
       FROM room_participants own
       JOIN room_participants mate ON mate.room_id = own.room_id
       WHERE own.user_id = $1 AND mate.user_id <> $1`,
      [userId],
    );
    return rows.map((r) => r.user_id);
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
