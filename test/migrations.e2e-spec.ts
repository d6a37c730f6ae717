import pg from 'pg';
import request from 'supertest';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { createApp } from '../src/app.js';
import { MIGRATIONS, migrateDatabase } from '../src/database/data-source.js';
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

async function appliedMigrations(databaseUrl: string): Promise<unknown[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query('SELECT name FROM migrations')).rows;
  } finally {
    await db.end();
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
