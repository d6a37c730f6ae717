import { DataSource, type DataSourceOptions } from 'typeorm';
import { Message } from '../messages/message.entity.js';
import { RoomParticipant } from '../rooms/room-participant.entity.js';
import { Room } from '../rooms/room.entity.js';
import { User } from '../users/user.entity.js';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';

export const entities = [User, Room, RoomParticipant, Message];
export const migrations = [InitialSchema1764000000000];

/** The one description of the database, shared by the app and the migration CLI. */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  };
}

// An arbitrary constant shared by every instance: whoever holds the lock runs
// the migrations, the others wait and then find nothing left to do.
const MIGRATION_LOCK_KEY = 7_211_830_001;

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

export default new DataSource(dataSourceOptions(process.env.DATABASE_URL ?? ''));
