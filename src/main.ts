import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { AppConfig } from './config/app-config.js';
import { Sql } from './database/sql.js';
import { Backplane } from './redis/backplane.js';

const logger = new Logger('Bootstrap');
const app = await createApp();
const config = app.get(AppConfig);
await app.listen(config.port);
logger.log(`listening on port ${config.port}`);
logger.log(`database: ${app.get(Sql).description}`);
logger.log(`broadcasts: ${app.get(Backplane).description}`);

// Shutdown (enableShutdownHooks) drains for up to SHUTDOWN_TIMEOUT_MS; if
// closing a dependency then hangs, exit anyway so the orchestrator can move on.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000).unref();
  });
}
