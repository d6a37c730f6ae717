import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * §6 read markers on the participant row (0 for a room's creators) and §8's
 * last-seen time, kept in Postgres so it survives restarts.
 */
export class ReadStateAndPresence1764100000000 implements MigrationInterface {
  name = 'ReadStateAndPresence1764100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE room_participants ADD COLUMN last_read_seq integer NOT NULL DEFAULT 0`);
    await db.query(`ALTER TABLE users ADD COLUMN last_seen_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN last_seen_at`);
    await db.query(`ALTER TABLE room_participants DROP COLUMN last_read_seq`);
  }
}
