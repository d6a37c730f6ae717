import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Database from '../../scripts/database.js';

// require(), not import: see test/setup/global-setup.ts.
const require = createRequire(import.meta.url);
const { recreateDatabase } = require('../../scripts/database.ts') as typeof Database;

/**
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
  await recreateDatabase(process.env.TEST_CLUSTER_DATABASE_URL);
}
