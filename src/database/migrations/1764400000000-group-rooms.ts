import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * §10: group rooms get an optional name (never a direct room), and people
 * join and leave. `members_version` counts those changes: bumped with every
 * add and leave in the statement that makes it, under the room's row lock,
 * which every write to the room also takes. A write that names the version
 * its caller checked membership against is therefore exact as of its commit
 * (see room-membership.ts).
 */
export class GroupRooms1764400000000 implements MigrationInterface {
  name = 'GroupRooms1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE rooms
        ADD COLUMN name text,
        ADD COLUMN members_version integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT rooms_direct_unnamed CHECK (name IS NULL OR direct_key IS NULL)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE rooms
        DROP CONSTRAINT rooms_direct_unnamed,
        DROP COLUMN members_version,
        DROP COLUMN name`);
  }
}
