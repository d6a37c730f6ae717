/**
 * Writes the API documents the service serves to the committed files:
 * openapi.json (GET /docs-json) and asyncapi.json (GET /asyncapi).
 * `npm run openapi` builds first, then runs this; test/api-docs.e2e-spec.ts
 * fails while a committed file differs from what the service serves.
 *
 * It starts the built service (dist/main.js) in its embedded mode on a free
 * port with a throw-away data directory, so it needs neither Postgres nor Redis.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCUMENTS = { 'openapi.json': '/docs-json', 'asyncapi.json': '/asyncapi' };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntilLive(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/health/live`)).ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`the service did not start within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-api-docs-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const service = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
  env: {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    AUTH_SECRET: '',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
try {
  await waitUntilLive(url, 60_000);
  for (const [file, route] of Object.entries(DOCUMENTS)) {
    const document: unknown = await (await fetch(`${url}${route}`)).json();
    await writeFile(path.join(root, file), `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${file} from ${route}`);
  }
} finally {
  service.kill('SIGTERM');
  await new Promise((resolve) => service.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
