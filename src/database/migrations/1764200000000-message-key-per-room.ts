import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * §3: a `messageId` is unique within its room. Keyed on the id alone, an id
 * used in one room was a conflict in every other: a stranger learnt that
 * the id existed elsewhere and could block someone else's future ids.
 */
export class MessageKeyPerRoom1764200000000 implements MigrationInterface {
  name = 'MessageKeyPerRoom1764200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE messages
        DROP CONSTRAINT messages_pkey,
        ADD CONSTRAINT messages_room_message_pkey PRIMARY KEY (room_id, message_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    // Fails if an id is now used in two rooms: there is no way back without losing one.
    await db.query(`
      ALTER TABLE messages
        DROP CONSTRAINT messages_room_message_pkey,
        ADD CONSTRAINT messages_pkey PRIMARY KEY (message_id)`);
  }
}
