import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * §9: every change in a room (a new message, an edit, a delete) takes the
 * room's next `rev`, and a message carries the `rev` of its latest change.
 * Until now the only change was a new message, one per `seq`, so the
 * existing messages get `rev = seq` and each room `last_rev = last_seq`:
 * gap-free from the start. `(room_id, rev)` is unique (each change is held by
 * one message) and is the index the change feed reads.
 */
export class ChangeFeed1764300000000 implements MigrationInterface {
  name = 'ChangeFeed1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE rooms ADD COLUMN last_rev integer NOT NULL DEFAULT 0`);
    await db.query(`
      ALTER TABLE messages
        ADD COLUMN rev integer,
        ADD COLUMN edited_at timestamptz,
        ADD COLUMN deleted_at timestamptz`);
    await db.query(`UPDATE messages SET rev = seq`);
    await db.query(`UPDATE rooms SET last_rev = last_seq`);
    await db.query(`ALTER TABLE messages ALTER COLUMN rev SET NOT NULL`);
    await db.query(`ALTER TABLE messages ADD CONSTRAINT messages_room_rev_key UNIQUE (room_id, rev)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE messages
        DROP CONSTRAINT messages_room_rev_key,
        DROP COLUMN deleted_at,
        DROP COLUMN edited_at,
        DROP COLUMN rev`);
    await db.query(`ALTER TABLE rooms DROP COLUMN last_rev`);
  }
}
