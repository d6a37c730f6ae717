import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from '../config/app-config.js';

/**
 * Hot-path SQL straight on the driver's pool as named statements: Postgres
 * parses and plans each once per connection instead of once per call, and
 * the ORM's per-query bookkeeping is skipped. The embedded database has no
 * such pool and runs them as plain queries.
 */
@Injectable()
export class PreparedStatements {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async run<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    if (this.config.databaseUrl === null) {
      return this.db.query<Row[]>(text, values);
    }
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    return (await pool.query<Row & object>({ name, text, values })).rows;
  }
}
