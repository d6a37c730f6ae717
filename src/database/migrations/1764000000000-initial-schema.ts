import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        avatar     text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX users_name_id_idx ON users (name, id)`);
    await db.query(`
      CREATE TABLE rooms (
        id               text PRIMARY KEY,
        direct_key       text UNIQUE,
        created_at       timestamptz NOT NULL DEFAULT now(),
        last_seq         integer NOT NULL DEFAULT 0,
        last_activity_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE room_participants (
        room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (room_id, user_id)
      )`);
    await db.query(`CREATE INDEX room_participants_user_idx ON room_participants (user_id)`);
    await db.query(`
      CREATE TABLE messages (
        message_id text PRIMARY KEY,
        room_id    text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq        integer NOT NULL,
        sender_id  text NOT NULL REFERENCES users (id),
        content    text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT messages_room_seq_key UNIQUE (room_id, seq)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE messages`);
    await db.query(`DROP TABLE room_participants`);
    await db.query(`DROP TABLE rooms`);
    await db.query(`DROP TABLE users`);
  }
}
