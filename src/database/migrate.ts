// `npm run migration:run`: applies pending migrations without starting the
// app. Without DATABASE_URL, the embedded database under DATA_DIR, as the app.
import { migrateDatabase } from './data-source.js';

await migrateDatabase({ url: process.env.DATABASE_URL ?? null, dataDir: process.env.DATA_DIR ?? './data' });
console.log('migrations are up to date');
