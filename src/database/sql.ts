import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from '../config/app-config.js';
import { describeDatabase } from './data-source.js';

/**
 * How repositories run SQL, whichever database this instance uses. The mode
 * picks the implementation once (modes.module.ts); nothing else sees a
 * connection or a DataSource.
 */
@Injectable() // its constructor's parameters are what the subclasses inject
export abstract class Sql {
  /** For the start-up log. */
  readonly description: string;

  constructor(
    protected readonly db: DataSource,
    config: AppConfig,
  ) {
    this.description = describeDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  }

  /** Runs one statement and answers its rows. */
  query<Row extends object>(text: string, values?: unknown[]): Promise<Row[]> {
    return this.db.query<Row[]>(text, values);
  }

  /**
   * Runs a hot-path statement as a named prepared statement where the
   * database supports it: Postgres parses and plans it once per connection
   * instead of once per call.
   */
  abstract prepared<Row extends object>(name: string, text: string, values: unknown[]): Promise<Row[]>;
}

/** A Postgres server, through TypeORM's pool. */
@Injectable()
export class PostgresSql extends Sql {
  async prepared<Row extends object>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    // Straight on the pg Pool TypeORM opened (its driver's public `master`),
    // which can name the statement (DataSource.query cannot), without a
    // QueryRunner's bookkeeping (it showed in profiles of the send path).
    // Not pool.query(): that ends the connection on any error, and a
    // statement that failed on a key (a retried messageId) leaves it fine,
    // its prepared statements with it. A broken one the pool drops anyway.
    const client = await ((this.db.driver as PostgresDriver).master as Pool).connect();
    try {
      return (await client.query<Row>({ name, text, values })).rows;
    } finally {
      client.release();
    }
  }
}

/** The embedded database (PGlite) has no named statements: they run as plain queries. */
@Injectable()
export class EmbeddedSql extends Sql {
  prepared<Row extends object>(_name: string, text: string, values: unknown[]): Promise<Row[]> {
    return this.query<Row>(text, values);
  }
}
