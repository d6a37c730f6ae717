import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Unread counts (§6) exclude deleted messages (§9): counting the deleted ones
 * after a read marker reads this index, which holds deleted messages only.
 */
export class DeletedMessagesIndex1764600000000 implements MigrationInterface {
  name = 'DeletedMessagesIndex1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX messages_deleted_idx ON messages (room_id, seq) WHERE deleted_at IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX messages_deleted_idx`);
  }
}
