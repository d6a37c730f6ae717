// `npm run migration:run`: applies pending migrations with the same lock the
// app takes at start, so it is safe while instances are running.
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrationsLocked } from './data-source.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set');
  process.exit(1);
}
const dataSource = await new DataSource(dataSourceOptions(url, 1)).initialize();
try {
  await runMigrationsLocked(dataSource);
  console.log('migrations are up to date');
} finally {
  await dataSource.destroy();
}
