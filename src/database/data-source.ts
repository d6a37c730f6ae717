import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGliteDriver } from 'typeorm-pglite';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { ReadStateAndPresence1764100000000 } from './migrations/1764100000000-read-state-and-presence.js';
import { MessageKeyPerRoom1764200000000 } from './migrations/1764200000000-message-key-per-room.js';
import { ChangeFeed1764300000000 } from './migrations/1764300000000-change-feed.js';
import { GroupRooms1764400000000 } from './migrations/1764400000000-group-rooms.js';
import { TokenVersions1764500000000 } from './migrations/1764500000000-token-versions.js';
import { DeletedMessagesIndex1764600000000 } from './migrations/1764600000000-deleted-messages-index.js';
import { UserNameSearch1764700000000 } from './migrations/1764700000000-user-name-search.js';

// The migrations are the one truth of the schema; repositories map rows
// themselves (no entities), so there is nothing to keep in step with them.
export const MIGRATIONS = [
  InitialSchema1764000000000,
  ReadStateAndPresence1764100000000,
  MessageKeyPerRoom1764200000000,
  ChangeFeed1764300000000,
  GroupRooms1764400000000,
  TokenVersions1764500000000,
  DeletedMessagesIndex1764600000000,
  UserNameSearch1764700000000,
];

interface DatabaseLocation {
  /** A Postgres server, or null for the embedded one. */
  url: string | null;
  /** Where the embedded database keeps its files. */
  dataDir: string;
  poolSize?: number;
}

/** The one description of the database, shared by the app and the migration CLI. */
export function dataSourceOptions({ url, dataDir, poolSize = 10 }: DatabaseLocation): DataSourceOptions {
  const common = {
    type: 'postgres',
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
  } as const;
  if (url === null) {
    // PGlite: Postgres compiled to WebAssembly, in this process. Same SQL,
    // same migrations; one connection, so every write is a single statement.
    // pg_trgm backs the user search index (the migrations create the extension).
    const embedded = new PGliteDriver({ dataDir: join(dataDir, 'pg'), extensions: { pg_trgm } });
    return { ...common, driver: embedded.driver };
  }
  // A stalled database answers within seconds with an error ('unavailable'),
  // instead of holding every send, and shutdown, behind it.
  const extra = { max: poolSize, connectionTimeoutMillis: 5_000, statement_timeout: 10_000 };
  return { ...common, url, extra };
}

/** How the configured database is described in the start-up log. */
export function describeDatabase({ url, dataDir }: DatabaseLocation): string {
  if (url === null) {
    return `embedded PGlite under ${join(dataDir, 'pg')}`;
  }
  const { host, pathname } = new URL(url);
  return `Postgres at ${host}${pathname}`;
}

// An arbitrary constant shared by every instance: whoever holds the lock runs
// the migrations, the others wait and then find nothing left to do.
const MIGRATION_LOCK_KEY = 7_211_830_001;

/**
 * Applies pending migrations on a connection of its own (for the CLI), under
 * the same lock the app takes at start, so it is safe while instances run.
 */
export async function migrateDatabase(location: Omit<DatabaseLocation, 'poolSize'>): Promise<void> {
  // One connection holds the lock while another runs the migrations.
  const dataSource = await new DataSource(dataSourceOptions({ ...location, poolSize: 2 })).initialize();
  try {
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Runs pending migrations so that instances starting together do not race. */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
