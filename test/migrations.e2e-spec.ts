import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { createApp } from '../src/app.js';
import { dataSourceOptions, MIGRATIONS, migrateDatabase } from '../src/database/data-source.js';
import { ChangeFeed1764300000000 } from '../src/database/migrations/1764300000000-change-feed.js';
import { recreateDatabase } from '../scripts/database.js';

const everyMigrationOnce = MIGRATIONS.map((migration) => ({ name: migration.name }));

/**
 * A database of its own, empty, so the instances below find no schema at all.
 * Named after the test database (chat_test_<suffix> by default), so that runs
 * against different test databases on one server do not share it.
 */
async function freshDatabase(suffix: string): Promise<string> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_${suffix}`;
  await recreateDatabase(url.toString());
  return url.toString();
}

async function query(databaseUrl: string, text: string): Promise<unknown[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query(text)).rows;
  } finally {
    await db.end();
  }
}

const appliedMigrations = (databaseUrl: string) => query(databaseUrl, 'SELECT name FROM migrations');

/** Applies the migrations before `migration` only, then runs `seed` on that schema. */
async function migrateUpTo(
  databaseUrl: string,
  migration: (typeof MIGRATIONS)[number],
  seed: string,
): Promise<void> {
  const dataSource = await new DataSource({
    ...dataSourceOptions({ url: databaseUrl, dataDir: './data' }),
    migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(migration)),
  }).initialize();
  try {
    await dataSource.runMigrations();
    await dataSource.query(seed);
  } finally {
    await dataSource.destroy();
  }
}

describe('migrations at start', () => {
  let instances: Instance[] = [];

  afterAll(() => stopInstances(instances));

  it('bring up three instances started together on an empty database, migrating it once', async () => {
    const databaseUrl = await freshDatabase('migrations');
    const apps = await Promise.all(
      [1, 2, 3].map(async () => {
        const app = await createApp({ env: { DATABASE_URL: databaseUrl }, logger: false });
        await app.listen(0, '127.0.0.1');
        return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
      }),
    );
    instances = apps;
    for (const { url } of apps) {
      await request(url).post('/users').send({ name: 'migrated' }).expect(201);
    }
    expect(await appliedMigrations(databaseUrl)).toEqual(everyMigrationOnce);
  });

  it('leave nothing to do for the next instance', async () => {
    const [later] = await startInstances(1);
    instances.push(later);
    await request(later.url).get('/health/ready').expect(200);
  });
});

describe('npm run migration:run', () => {
  it('migrates an empty database once, and finds nothing to do the second time', async () => {
    const databaseUrl = await freshDatabase('migration_cli');
    await migrateDatabase({ url: databaseUrl, dataDir: './data' });
    await migrateDatabase({ url: databaseUrl, dataDir: './data' });
    expect(await appliedMigrations(databaseUrl)).toEqual(everyMigrationOnce);
  });
});

describe('the change-feed migration', () => {
  it('gives existing messages rev = seq and each room last_rev = last_seq, gap-free', async () => {
    const databaseUrl = await freshDatabase('migration_backfill');
    await migrateUpTo(
      databaseUrl,
      ChangeFeed1764300000000,
      `INSERT INTO users (id, name) VALUES ('user_a', 'A');
       INSERT INTO rooms (id, last_seq) VALUES ('room_1', 3), ('room_2', 1), ('room_3', 0);
       INSERT INTO messages (message_id, room_id, seq, sender_id, content, created_at) VALUES
         ('m1', 'room_1', 1, 'user_a', 'one', now()), ('m2', 'room_1', 2, 'user_a', 'two', now()),
         ('m3', 'room_1', 3, 'user_a', 'three', now()), ('m1', 'room_2', 1, 'user_a', 'other', now());`,
    );
    await migrateDatabase({ url: databaseUrl, dataDir: './data' });
    expect(
      await query(databaseUrl, 'SELECT room_id, message_id, seq, rev FROM messages ORDER BY 1, 3'),
    ).toEqual([
      { room_id: 'room_1', message_id: 'm1', seq: 1, rev: 1 },
      { room_id: 'room_1', message_id: 'm2', seq: 2, rev: 2 },
      { room_id: 'room_1', message_id: 'm3', seq: 3, rev: 3 },
      { room_id: 'room_2', message_id: 'm1', seq: 1, rev: 1 },
    ]);
    expect(await query(databaseUrl, 'SELECT id, last_rev FROM rooms ORDER BY id')).toEqual([
      { id: 'room_1', last_rev: 3 },
      { id: 'room_2', last_rev: 1 },
      { id: 'room_3', last_rev: 0 },
    ]);
    expect(await appliedMigrations(databaseUrl)).toEqual(everyMigrationOnce);
  });
});
