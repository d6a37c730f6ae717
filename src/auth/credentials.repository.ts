import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';

/** The SQL of a user's credentials: the token version on the users row. */
@Injectable()
export class CredentialsRepository {
  constructor(private readonly sql: Sql) {}

  /** Null when there is no such user. */
  async tokenVersion(userId: string): Promise<number | null> {
    const [row] = await this.sql.query<{ token_version: number }>(
      'SELECT token_version FROM users WHERE id = $1',
      [userId],
    );
    return row?.token_version ?? null;
  }

  /** Moves the version on, ending every token issued before; answers the new version. */
  async bumpTokenVersion(userId: string): Promise<number> {
    const [row] = await this.sql.query<{ token_version: number }>(
      'UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version',
      [userId],
    );
    return row.token_version;
  }
}
