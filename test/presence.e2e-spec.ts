import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createRoom } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { embeddedEnv, startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox, sleep, type ChatClient } from './setup/sockets.js';

/** What Bob's inbox heard about one user, in order. */
const presenceOf = (inbox: Inbox, user: TestUser) =>
  inbox.of('presence').filter((e) => e.userId === user.id) as {
    type: 'presence';
    userId: string;
    online: boolean;
    lastSeenAt: string | null;
  }[];

const getUser = async (url: string, caller: TestUser, user: TestUser) =>
  (await request(url).get(`/users/${user.id}`).set(auth(caller)).expect(200)).body;

/** How long a change that should not be announced is given to show up anyway. */
const QUIET_MS = 500;

describe('§8 presence over two instances', () => {
  let instances: Instance[];
  let one: string;
  let two: string;
  let alice: TestUser;
  let bob: TestUser;
  let sam: TestUser;
  let bobInbox: Inbox;
  let samInbox: Inbox;
  // Names of this suite's users start with it, so `?q=` lists them alone.
  const tag = `presence-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    instances = await startInstances(2);
    [one, two] = instances.map((i) => i.url);
    const named = (name: string) => createUser(one, `${tag} ${name}`);
    [alice, bob, sam] = await Promise.all([named('alice'), named('bob'), named('sam')]);
    const carol = await named('carol');
    await createRoom(one, alice, [bob]);
    await createRoom(one, alice, [bob, carol]); // a second shared room: still one event
    await createRoom(one, sam, [carol]); // Sam shares no room with Alice
    bobInbox = new Inbox(await connect(two, bob.token));
    samInbox = new Inbox(await connect(two, sam.token));
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('tells a room-mate on the other instance when a user comes online and goes offline', async () => {
    const before = await getUser(two, bob, alice);
    expect(before).toEqual({ id: alice.id, name: alice.name, avatar: null, online: false, lastSeenAt: null });

    const aliceSocket = await connect(one, alice.token);
    const online = await bobInbox.waitFor('presence', (e) => e.userId === alice.id && e.online);
    expect(online).toEqual({ type: 'presence', userId: alice.id, online: true, lastSeenAt: null });
    expect(await getUser(two, bob, alice)).toMatchObject({ online: true, lastSeenAt: null });

    const closedAt = Date.now();
    aliceSocket.disconnect();
    const offline = await bobInbox.waitFor('presence', (e) => e.userId === alice.id && !e.online);
    expect(offline).toEqual({
      type: 'presence',
      userId: alice.id,
      online: false,
      lastSeenAt: expect.any(String),
    });
    expect(Math.abs(Date.parse(offline.lastSeenAt) - closedAt)).toBeLessThan(5_000);
    expect(presenceOf(bobInbox, alice).map((e) => e.online)).toEqual([true, false]);
    // Stored: every instance answers the same departure time.
    for (const url of [one, two]) {
      expect(await getUser(url, bob, alice)).toMatchObject({ online: false, lastSeenAt: offline.lastSeenAt });
    }
  });

  it('keeps a user with a socket on each instance online when one of them closes', async () => {
    const since = presenceOf(bobInbox, alice).length;
    const first = await connect(one, alice.token);
    const second = await connect(two, alice.token);
    await heardSince(bobInbox, alice, since);
    first.disconnect();
    await sleep(QUIET_MS);
    expect(
      presenceOf(bobInbox, alice)
        .slice(since)
        .map((e) => e.online),
    ).toEqual([true]);
    expect(await getUser(one, bob, alice)).toMatchObject({ online: true, lastSeenAt: null });

    second.disconnect();
    await heardSince(bobInbox, alice, since + 1);
    expect(
      presenceOf(bobInbox, alice)
        .slice(since)
        .map((e) => e.online),
    ).toEqual([true, false]);
  });

  it('tells nobody who shares no room with the user, nor the user themself', async () => {
    const since = presenceOf(bobInbox, alice).length;
    const aliceSocket = await connect(one, alice.token);
    const aliceInbox = new Inbox(aliceSocket);
    await heardSince(bobInbox, alice, since);
    aliceSocket.disconnect();
    await heardSince(bobInbox, alice, since + 1);
    await sleep(QUIET_MS);
    expect(presenceOf(samInbox, alice)).toEqual([]);
    expect(presenceOf(aliceInbox, alice)).toEqual([]);
  });

  it('adds online and lastSeenAt to GET /users without changing its order or paging', async () => {
    const since = presenceOf(bobInbox, alice).length;
    const aliceSocket = await connect(one, alice.token);
    await heardSince(bobInbox, alice, since);
    const page = await request(two).get(`/users?q=${tag}`).set(auth(bob)).expect(200);
    const listed = page.body as { id: string; name: string }[];
    expect(listed.map((u) => u.name)).toEqual(['alice', 'carol', 'sam'].map((n) => `${tag} ${n}`));
    expect(listed.find((u) => u.id === alice.id)).toEqual({
      id: alice.id,
      name: alice.name,
      avatar: null,
      online: true,
      lastSeenAt: null,
    });
    expect(listed.find((u) => u.id === sam.id)).toMatchObject({ online: true, lastSeenAt: null });
    const first = await request(two).get(`/users?q=${tag}&limit=2`).set(auth(bob)).expect(200);
    expect(first.body).toEqual(listed.slice(0, 2));
    expect(first.headers.link).toBe(`</users?q=${tag}&limit=2&after=${listed[1].id}>; rel="next"`);
    aliceSocket.disconnect();
    await heardSince(bobInbox, alice, since + 1);
  });

  it('answers GET /users/{userId} with 404 for an unknown or impossible id, and 401 without a token', async () => {
    const unknown = await request(two).get('/users/user_nobody').set(auth(bob)).expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    await request(two).get('/users/%00%20x').set(auth(bob)).expect(404);
    await request(two)
      .get(`/users/${'x'.repeat(65)}`)
      .set(auth(bob))
      .expect(404);
    await request(two).get(`/users/${alice.id}`).expect(401);
    expect(await getUser(two, bob, bob)).toMatchObject({ id: bob.id, online: true, lastSeenAt: null });
  });

  it('takes the users of an instance that shuts down offline at once, and keeps lastSeenAt across restarts', async () => {
    const since = presenceOf(bobInbox, alice).length;
    await connect(one, alice.token);
    await heardSince(bobInbox, alice, since);
    const closing = Date.now();
    await instances[0].app.close();
    // Long before a dead instance would be noticed (three heartbeats).
    const [offline] = await heardSince(bobInbox, alice, since + 1, 3_000);
    expect(offline.online).toBe(false);
    expect(Date.now() - closing).toBeLessThan(5_000);
    closeAllClients();
    await stopInstances(instances.slice(1));

    instances = await startInstances(1);
    expect(await getUser(instances[0].url, bob, alice)).toMatchObject({
      online: false,
      lastSeenAt: offline.lastSeenAt,
    });
  });
});

describe('§8 presence in embedded mode (no Redis, no Postgres server)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-presence-'));
  let instance: Instance[] = [];

  afterAll(async () => {
    closeAllClients();
    await stopInstances(instance);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('announces online and offline and stores lastSeenAt', async () => {
    instance = await startInstances(1, embeddedEnv(dataDir));
    const url = instance[0].url;
    const [alice, bob] = await Promise.all([createUser(url), createUser(url)]);
    await createRoom(url, alice, [bob]);
    const bobInbox = new Inbox(await connect(url, bob.token));

    const aliceSocket: ChatClient = await connect(url, alice.token);
    await bobInbox.waitFor('presence', (e) => e.userId === alice.id && e.online);
    expect(await getUser(url, bob, alice)).toMatchObject({ online: true, lastSeenAt: null });
    aliceSocket.disconnect();
    const offline = await bobInbox.waitFor('presence', (e) => e.userId === alice.id && !e.online);
    expect(await getUser(url, bob, alice)).toMatchObject({ online: false, lastSeenAt: offline.lastSeenAt });
    expect(offline.lastSeenAt).toEqual(expect.any(String));
  });
});

/** Waits until the inbox has more than `since` presence events about the user; answers the new ones. */
async function heardSince(inbox: Inbox, user: TestUser, since: number, timeoutMs = 5_000) {
  await inbox.waitFor('presence', () => presenceOf(inbox, user).length > since, timeoutMs);
  return presenceOf(inbox, user).slice(since);
}
