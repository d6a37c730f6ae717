import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /users?q=` matches a substring of the name (ILIKE '%q%'), which a
 * btree cannot serve: without this every search read the whole table. A
 * trigram index answers substrings of three characters and more.
 * pg_trgm ships with Postgres (a trusted extension: no superuser needed)
 * and is loaded into the embedded PGlite (data-source.ts).
 */
export class UserNameSearch1764700000000 implements MigrationInterface {
  name = 'UserNameSearch1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await db.query(`CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX users_name_trgm_idx`);
  }
}
