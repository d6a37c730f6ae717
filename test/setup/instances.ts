import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/app.js';
import { checkResponsesAgainstOpenApi } from './api-conformance.js';
import { closeAllClients } from './sockets.js';

export interface Instance {
  app: INestApplication;
  url: string;
}

/**
 * Starts `count` independent instances (each its own Nest application, HTTP
 * port, Socket.IO server and Redis connections) sharing Postgres and Redis,
 * as several processes behind a load balancer would.
 */
export async function startInstances(count: number, env: Record<string, string> = {}): Promise<Instance[]> {
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    // One after the other: the first one migrates the fresh database.
    const app = await createApp({
      env: { PORT: '0', ...env },
      logger: process.env.TEST_LOGS ? undefined : false,
    });
    checkResponsesAgainstOpenApi(app);
    await app.listen(0, '127.0.0.1');
    instances.push({ app, url: await app.getUrl() });
  }
  return instances.map((i) => ({ ...i, url: i.url.replace('[::1]', '127.0.0.1') }));
}

/**
 * No DATABASE_URL, REDIS_URL or AUTH_SECRET: what a newcomer gets from a
 * bare `npm start` (embedded PGlite under `dataDir`, in-process broadcasts).
 * Empty values count as unset.
 */
export const embeddedEnv = (dataDir: string): Record<string, string> => ({
  DATABASE_URL: '',
  REDIS_URL: '',
  AUTH_SECRET: '',
  DATA_DIR: dataDir,
});

export async function stopInstances(instances: Instance[]): Promise<void> {
  await Promise.all(instances.map((i) => i.app.close()));
}

/**
 * A suite's instances: started before its tests, and after them every client
 * closed and every instance stopped. `urls` is filled once they are up.
 */
export function useInstances(
  count: number,
  env: Record<string, string> = {},
): { instances: Instance[]; urls: string[] } {
  const suite = { instances: [] as Instance[], urls: [] as string[] };
  beforeAll(async () => {
    suite.instances = await startInstances(count, env);
    suite.urls = suite.instances.map((i) => i.url);
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(suite.instances);
  });
  return suite;
}
