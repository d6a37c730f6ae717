// `npm run migration:run`: applies pending migrations with the same lock the
// app takes at start, so it is safe while instances are running.
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrationsLocked } from './data-source.js';

// Without DATABASE_URL, the embedded database under DATA_DIR, as the app would.
const location = {
  url: process.env.DATABASE_URL ?? null,
  dataDir: process.env.DATA_DIR ?? './data',
  // One connection holds the migration lock while another runs the migrations.
  poolSize: 2,
};
const dataSource = await new DataSource(dataSourceOptions(location)).initialize();
try {
  await runMigrationsLocked(dataSource);
  console.log('migrations are up to date');
} finally {
  await dataSource.destroy();
}
