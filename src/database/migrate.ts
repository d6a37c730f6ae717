// `npm run migration:run`: applies pending migrations without starting the
// app. Without DATABASE_URL, the embedded database under DATA_DIR, as the app.
import { DatabaseEnv, validateEnv } from '../config/env.js';
import { migrateDatabase } from './data-source.js';

const env = validateEnv(process.env, DatabaseEnv);
await migrateDatabase({ url: env.DATABASE_URL ?? null, dataDir: env.DATA_DIR });
console.log('migrations are up to date');
