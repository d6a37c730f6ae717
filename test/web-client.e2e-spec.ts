import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect } from './setup/sockets.js';

/**
 * The web client is served by the service itself (WEB_DIR), and its page is
 * same-origin: it works whatever CORS_ORIGINS lists (test-env.ts sets it to
 * http://allowed.example only).
 */
describe('the web client at /', () => {
  const webDir = mkdtempSync(join(tmpdir(), 'chat-web-'));
  let instances: Instance[];
  let url: string;

  beforeAll(async () => {
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(
      join(webDir, 'index.html'),
      '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
    );
    writeFileSync(join(webDir, 'assets', 'app-1a2b.js'), 'console.log("hi");');
    instances = await startInstances(1, { WEB_DIR: webDir });
    url = instances[0].url;
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves the page, revalidated, under a CSP that allows its own scripts and no inline ones', async () => {
    const page = await request(url).get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('/assets/app-1a2b.js');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("img-src 'self' data: https: http:");
    expect(csp).not.toContain("unsafe-inline'; script");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('serves hashed assets as immutable', async () => {
    const asset = await request(url).get('/assets/app-1a2b.js').expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('leaves API routes to the API, and unknown paths a JSON 404', async () => {
    await request(url).get('/users').expect(401);
    for (const path of ['/nope', '/assets/missing.js', '/index.html/x']) {
      const missing = await request(url).get(path).expect(404);
      expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
    const health = await request(url).get('/health/live').expect(200);
    expect(health.headers['content-type']).toMatch(/json/);
  });

  describe('same-origin requests pass the origin check whatever CORS_ORIGINS lists', () => {
    it('on HTTP: its own origin passes, a foreign one is still refused', async () => {
      await request(url).post('/users').set('Origin', url).send({ name: 'Page' }).expect(201);
      await request(url).post('/users').set('Origin', 'http://evil.example').send({ name: 'X' }).expect(403);
      // A page of another port on the same host is another origin.
      const otherPort = url.replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + 1}`);
      await request(url).post('/users').set('Origin', otherPort).send({ name: 'Y' }).expect(403);
    });

    it('behind a proxy: the origin the browser used, from X-Forwarded-Host and -Proto', async () => {
      await request(url)
        .post('/users')
        .set({
          Origin: 'https://chat.example:8443',
          'X-Forwarded-Host': 'chat.example:8443',
          'X-Forwarded-Proto': 'https',
        })
        .send({ name: 'Proxied' })
        .expect(201);
      await request(url)
        .post('/users')
        .set({
          Origin: 'http://chat.example:8443',
          'X-Forwarded-Host': 'chat.example:8443',
          'X-Forwarded-Proto': 'https',
        })
        .send({ name: 'Wrong scheme' })
        .expect(403);
    });

    it('at the Socket.IO handshake: its own origin connects, a foreign one is refused', async () => {
      const user = await createUser(url, 'Sock');
      const own = await connect(url, user.token, { extraHeaders: { Origin: url } });
      expect(own.connected).toBe(true);
      own.disconnect();
      await expect(
        connect(url, user.token, { extraHeaders: { Origin: 'http://evil.example' } }),
      ).rejects.toThrow();
    });
  });
});
