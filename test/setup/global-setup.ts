import { createRequire } from 'node:module';
import type * as Database from '../../scripts/database.js';

// Jest runs a global setup outside its module registry: moduleNameMapper does
// not apply and Node resolves its imports, so a static import of
// '../../scripts/database.js' finds no such file, and Node 20 cannot load the
// '.ts' source itself. require() does go through the transform Jest installs
// while it loads this file, so the TypeScript source is loaded that way.
// (test/cluster/global-setup.ts does the same.)
const require = createRequire(import.meta.url);
const { recreateDatabase } = require('../../scripts/database.ts') as typeof Database;

/**
 * A fresh, empty test database per run; the instances migrate it at start.
 * Its URL reaches the suites through TEST_DATABASE_URL (see test-env.ts).
 */
export default async function globalSetup(): Promise<void> {
  process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/chat_test';
  await recreateDatabase(process.env.TEST_DATABASE_URL);
}
