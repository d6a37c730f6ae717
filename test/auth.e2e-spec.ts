import request from 'supertest';
import { createHmac } from 'node:crypto';
import { createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, useInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, sleep } from './setup/sockets.js';
import { waitUntil } from './setup/wait.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** A token of the first format, `userId.HMAC(userId)`, as issued before tokens expired. */
const legacyToken = (userId: string) =>
  `${userId}.${createHmac('sha256', process.env.AUTH_SECRET!).update(userId).digest('base64url')}`;
const disconnected = (socket: { connected: boolean }) =>
  waitUntil(() => !socket.connected, 10_000, 'disconnected');

// §1: tokens that expire, are refreshed and are revoked, on every instance.
describe('tokens', () => {
  // The cut-over a week from now, not the default date: the suite must pass after that date too.
  const suite = useInstances(2, { LEGACY_TOKENS_UNTIL: new Date(Date.now() + 7 * 86_400_000).toISOString() });
  let one: string;
  let two: string;
  beforeAll(() => ([one, two] = suite.urls));

  it('refreshes a valid token into a fresh one valid for TOKEN_TTL (30 days), leaving the old one valid', async () => {
    const alice = await createUser(one, 'Alice');
    const response = await request(two).post('/auth/refresh').set(bearer(alice.token)).expect(200);
    expect(response.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    const days = (Date.parse(response.body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    await request(one).get('/users').set(bearer(response.body.token)).expect(200);
    await request(one).get('/users').set(bearer(alice.token)).expect(200);
    await request(one).post('/auth/refresh').expect(401);
  });

  it('revokes every token of the caller and disconnects their sockets on every instance', async () => {
    const bob: TestUser = await createUser(one, 'Bob');
    const refreshed = (await request(one).post('/auth/refresh').set(bearer(bob.token)).expect(200)).body
      .token;
    const carol = await createUser(two, 'Carol');
    const sockets = [await connect(one, bob.token), await connect(two, refreshed)];
    const carolSocket = await connect(two, carol.token);

    await request(two).post('/auth/revoke').set(bearer(bob.token)).expect(204);

    await Promise.all(sockets.map(disconnected));
    for (const token of [bob.token, refreshed]) {
      for (const url of [one, two]) {
        const refused = await request(url).get('/users').set(bearer(token)).expect(401);
        expect(refused.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
      await expect(connect(one, token)).rejects.toThrow('unauthorized');
    }
    await request(one).post('/auth/refresh').set(bearer(bob.token)).expect(401);
    // Nobody else is touched.
    expect(carolSocket.connected).toBe(true);
    await request(one).get('/users').set(bearer(carol.token)).expect(200);
  });

  it('keeps first-format tokens working until LEGACY_TOKENS_UNTIL, and refresh exchanges them', async () => {
    const dave = await createUser(one, 'Dave');
    const legacy = legacyToken(dave.id);
    await request(two).get('/users').set(bearer(legacy)).expect(200);
    const socket = await connect(two, legacy);
    expect(socket.connected).toBe(true);
    const exchanged = (await request(one).post('/auth/refresh').set(bearer(legacy)).expect(200)).body;
    expect(exchanged.token.split('.')).toHaveLength(4);
    await request(one).get('/users').set(bearer(exchanged.token)).expect(200);
  });
});

describe('tokens past their time', () => {
  let instances: Instance[];

  beforeAll(async () => {
    // Expiries are whole seconds: a 3 s token lives more than 2 s.
    instances = await startInstances(1, { TOKEN_TTL: '3s', LEGACY_TOKENS_UNTIL: '2026-01-01T00:00:00Z' });
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('disconnects a socket when its token expires, and refuses the token from then on', async () => {
    const [url] = instances.map((i) => i.url);
    const erin = await createUser(url, 'Erin');
    const socket = await connect(url, erin.token);
    await request(url).get('/users').set(bearer(erin.token)).expect(200);
    await sleep(500);
    expect(socket.connected).toBe(true);
    await disconnected(socket);
    await request(url).get('/users').set(bearer(erin.token)).expect(401);
    await expect(connect(url, erin.token)).rejects.toThrow('unauthorized');
  });

  it('refuses first-format tokens after the cut-over', async () => {
    const [url] = instances.map((i) => i.url);
    const frank = await createUser(url, 'Frank');
    await request(url)
      .get('/users')
      .set(bearer(legacyToken(frank.id)))
      .expect(401);
  });
});
