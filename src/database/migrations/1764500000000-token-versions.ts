import type { MigrationInterface, QueryRunner } from 'typeorm';

/** §1: a per-user token version; revoking bumps it, which ends every token issued before. */
export class TokenVersions1764500000000 implements MigrationInterface {
  name = 'TokenVersions1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN token_version`);
  }
}
