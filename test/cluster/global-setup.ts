import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * (Jest loads a global setup outside its module mapping, so this cannot
 * import test/setup/global-setup.ts and repeats its few lines.)
 *
 * Builds nothing (`npm run test:cluster` builds first): checks that the app
 * the instances will run exists, and recreates the database they share. Its
 * URL reaches the suites through TEST_CLUSTER_DATABASE_URL.
 */
export default async function globalSetup(_: unknown, project: { rootDir: string }): Promise<void> {
  const entry = path.join(project.rootDir, 'dist', 'main.js');
  if (!existsSync(entry)) {
    throw new Error(`${entry} not found: run \`npm run build\` first (npm run test:cluster does)`);
  }
  process.env.TEST_CLUSTER_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/chat_cluster_test';
  const url = new URL(process.env.TEST_CLUSTER_DATABASE_URL);
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
