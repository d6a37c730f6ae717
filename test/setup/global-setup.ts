import pg from 'pg';

/** Drops and creates the database of `databaseUrl`, so it starts empty. */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

/**
 * A fresh, empty test database per run; the instances migrate it at start.
 * Its URL reaches the suites through TEST_DATABASE_URL (see test-env.ts).
 */
export default async function globalSetup(): Promise<void> {
  process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/chat_test';
  await recreateDatabase(process.env.TEST_DATABASE_URL);
}
