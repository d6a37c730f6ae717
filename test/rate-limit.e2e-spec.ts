import { randomUUID } from 'node:crypto';
import http from 'supertest';
import { Manager } from 'socket.io-client';
import { createRoom, history } from './factories/rooms.js';
import type { RedisTokenBuckets } from '../src/rate-limit/redis-token-buckets.js';
import { TokenBuckets } from '../src/rate-limit/token-buckets.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, request, sleep, type ChatClient } from './setup/sockets.js';
import { waitUntil } from './setup/wait.js';

// The contract's limit: 20 messages a second per user, bursts of 40.
describe('per-user send rate limit, shared by all instances', () => {
  let instances: Instance[];
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;

  beforeAll(async () => {
    instances = await startInstances(2, { RATE_LIMIT_PER_SECOND: '20', RATE_LIMIT_BURST: '40' });
    [alice, bob] = await Promise.all([createUser(instances[0].url), createUser(instances[1].url)]);
    roomId = (await createRoom(instances[0].url, alice, [bob])).id;
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('holds when one user spreads a burst over both instances, storing only what it acknowledged', async () => {
    const sockets = await Promise.all(instances.map((i) => connect(i.url, alice.token)));
    const acks = (await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        request(sockets[i % 2], 'create_message', { roomId, messageId: randomUUID(), content: `burst ${i}` }),
      ),
    )) as any[];
    const accepted = acks.filter((a) => a.status === 'success');
    const limited = acks.filter((a) => a.status === 'error');
    // 40 from the bucket, plus what refilled while the burst was in flight.
    expect(accepted.length).toBeGreaterThanOrEqual(40);
    expect(accepted.length).toBeLessThan(50);
    expect(limited.every((a) => a.error.code === 'rate_limited')).toBe(true);
    const stored = await history(instances[1].url, bob, roomId, '?limit=200');
    expect(stored.map((m) => m.messageId).sort()).toEqual(accepted.map((a) => a.message.messageId).sort());

    // Other users are not affected, and the limited user recovers with time.
    const bobSocket = await connect(instances[1].url, bob.token);
    const fromBob = (await request(bobSocket, 'create_message', {
      roomId,
      messageId: randomUUID(),
      content: 'hi',
    })) as any;
    expect(fromBob.status).toBe('success');
    await sleep(600);
    const later = (await request(sockets[0], 'create_message', {
      roomId,
      messageId: randomUUID(),
      content: 'later',
    })) as any;
    expect(later.status).toBe('success');
  });

  /** A new user in a room with Bob, a socket on each instance, and how to send from one. */
  async function newSenderOnEveryInstance() {
    const sender = await createUser(instances[0].url);
    const room = (await createRoom(instances[0].url, sender, [bob])).id;
    const sockets = await Promise.all(instances.map((i) => connect(i.url, sender.token)));
    const send = (socket: (typeof sockets)[number], content: string) =>
      request(socket, 'create_message', { roomId: room, messageId: randomUUID(), content }) as Promise<any>;
    return { sockets, send };
  }

  it('counts edits and deletes apart from new messages: editing never uses up what one may send', async () => {
    const { sockets, send } = await newSenderOnEveryInstance();
    const first = await send(sockets[0], 'typo');
    const { roomId: room, messageId } = first.message;
    const started = Date.now();
    const edits = (await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        request(sockets[i % 2], 'edit_message', { roomId: room, messageId, content: `fixed ${i}` }),
      ),
    )) as any[];
    const refilled = Math.ceil(((Date.now() - started) * 20) / 1000);
    const edited = edits.filter((a) => a.status === 'success').length;
    expect(edited).toBeGreaterThanOrEqual(38);
    expect(edited).toBeLessThanOrEqual(40 + refilled);
    expect(edits.filter((a) => a.status === 'error').every((a) => a.error.code === 'rate_limited')).toBe(
      true,
    );
    // Sending still has its burst (39 left after the first): 30 of them go through.
    const sends = await Promise.all(Array.from({ length: 30 }, (_, i) => send(sockets[i % 2], `new ${i}`)));
    expect(sends.map((a) => a.status)).toEqual(Array(30).fill('success'));
  });

  it('never lets a burst past 40, however many tokens the instances hold on lease', async () => {
    const { sockets, send } = await newSenderOnEveryInstance();
    // One send on each instance: each takes tokens ahead (a lease) from the full bucket.
    expect((await send(sockets[0], 'first')).status).toBe('success');
    expect((await send(sockets[1], 'second')).status).toBe('success');
    await sleep(1_200); // a plain bucket would be full again by now
    const started = Date.now();
    const acks = await Promise.all(Array.from({ length: 80 }, (_, i) => send(sockets[i % 2], `flood ${i}`)));
    const refilled = Math.ceil(((Date.now() - started) * 20) / 1000);
    const accepted = acks.filter((a) => a.status === 'success').length;
    // The bucket and the leases together hold the burst, no more.
    expect(accepted).toBeLessThanOrEqual(40 + refilled);
    expect(accepted).toBeGreaterThanOrEqual(38);
  });

  it('gets back from a lease given back no more than a bucket would still hold', async () => {
    const { sockets, send } = await newSenderOnEveryInstance();
    // The first send takes 10 ahead: 29 stay in the bucket, which refills only to 30 while they are out.
    expect((await send(sockets[0], 'first')).status).toBe('success');
    await sleep(2_100);
    // Spent late, from the lease, then the lease goes back (as at shutdown): the bucket holds 30, not 40.
    for (let i = 0; i < 10; i++) {
      expect((await send(sockets[0], `leased ${i}`)).status).toBe('success');
    }
    const spent = Date.now();
    await instances[0].app.get<TokenBuckets, RedisTokenBuckets>(TokenBuckets).beforeApplicationShutdown();
    const acks = await Promise.all(Array.from({ length: 60 }, (_, i) => send(sockets[1], `flood ${i}`)));
    const refilled = Math.ceil(((Date.now() - spent) * 20) / 1000);
    const accepted = acks.filter((a) => a.status === 'success').length;
    expect(accepted).toBeLessThanOrEqual(30 + refilled);
    expect(accepted).toBeGreaterThanOrEqual(28);
  });
});

// §11: mark_read and typing share a limit of their own, also across instances.
describe('per-user limit on typing and read updates', () => {
  let instances: Instance[];
  let alice: TestUser;
  let roomId: string;

  beforeAll(async () => {
    instances = await startInstances(2, { SIGNAL_RATE_LIMIT_PER_SECOND: '10' });
    const bob = await createUser(instances[1].url);
    alice = await createUser(instances[0].url);
    roomId = (await createRoom(instances[0].url, alice, [bob])).id;
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('refuses a flood of typing and mark_read spread over both instances with rate_limited', async () => {
    const sockets = await Promise.all(instances.map((i) => connect(i.url, alice.token)));
    const started = Date.now();
    const acks = (await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? request(sockets[i % 2], 'typing', { roomId, typing: true })
          : request(sockets[i % 2], 'mark_read', { roomId, seq: 0 }),
      ),
    )) as any[];
    const elapsed = Date.now() - started;
    const allowed = acks.filter((a) => a.status === 'success').length;
    const refused = acks.filter((a) => a.error?.code === 'rate_limited');
    // A burst of 10, refilling at 10 a second while the flood lasts.
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(allowed).toBeLessThanOrEqual(10 + Math.ceil(elapsed / 100));
    expect(refused).toHaveLength(40 - allowed);
    expect(refused[0].error.message).toMatch(/typing and read updates/);
  });

  it('leaves messages to their own limit', async () => {
    const socket = await connect(instances[0].url, alice.token);
    const ack = (await request(socket, 'create_message', {
      roomId,
      messageId: randomUUID(),
      content: 'still here',
    })) as any;
    expect(ack.status).toBe('success');
  });
});

// §11: room creation and add_participants per user; sign-up per client address.
describe('limits on rooms and sign-ups', () => {
  let instances: Instance[];
  let url: string;

  beforeAll(async () => {
    instances = await startInstances(2, {
      ROOM_LIMIT_PER_MINUTE: '3',
      SIGNUP_LIMIT_PER_MINUTE: '4',
      TRUST_PROXY: 'loopback',
    });
    url = instances[0].url;
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  const signUp = (address: string, via = url) =>
    http(via).post('/users').set('X-Forwarded-For', address).send({ name: 'Someone' });

  it('allows a burst of twice the per-minute room limit over both instances, then refuses creating and adding', async () => {
    const others = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(`10.0.0.${i}`)));
    const alice = (await signUp('10.0.1.1')).body as TestUser;
    const ids = others.map((r) => r.body.id as string);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await http(instances[i % 2].url)
        .post('/rooms')
        .set(auth(alice))
        .send({ participants: [ids[i], ids[7]] });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 429]);
    const socket = await connect(instances[1].url, alice.token);
    const refused = (await request(socket, 'create_room', { participants: [ids[0]] })) as any;
    expect(refused.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/rooms/) });
    const rooms = (await http(url).get('/rooms').set(auth(alice)).expect(200)).body;
    expect(rooms).toHaveLength(6);
    await http(url)
      .post(`/rooms/${rooms[0].id}/participants`)
      .set(auth(alice))
      .send({ participants: [ids[6]] })
      .expect(429);
  });

  it('counts sign-ups per client address (X-Forwarded-For behind TRUST_PROXY), on every instance', async () => {
    // Addresses of this run only: the buckets outlive a run in the shared Redis for a minute.
    const run = randomUUID().slice(0, 4);
    const [first, second] = [`2001:db8:${run}::1`, `2001:db8:${run}::2`];
    const fromOne: number[] = [];
    for (let i = 0; i < 5; i++) {
      fromOne.push((await signUp(first, instances[i % 2].url)).status);
    }
    expect(fromOne).toEqual([201, 201, 201, 201, 429]);
    // Another address is not held back by the first one.
    expect((await signUp(second)).status).toBe(201);
  });
});

// §11: at most MAX_SOCKETS_PER_USER sockets per user, on all instances together.
describe('sockets per user', () => {
  let instances: Instance[];

  beforeAll(async () => {
    instances = await startInstances(2, { MAX_SOCKETS_PER_USER: '3' });
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('refuses one socket more than the limit at the handshake with too_many_connections, on any instance', async () => {
    const [one, two] = instances.map((i) => i.url);
    const alice = await createUser(one);
    const sockets = [
      await connect(one, alice.token),
      await connect(two, alice.token),
      await connect(one, alice.token),
    ];
    await expect(connect(two, alice.token)).rejects.toThrow('too_many_connections');
    await expect(connect(one, alice.token)).rejects.toThrow('too_many_connections');
    // Someone else is not held back, and a socket that closes frees its place.
    const bob = await createUser(two);
    expect((await connect(two, bob.token)).connected).toBe(true);
    sockets[1].disconnect();
    await waitUntil(
      () =>
        connect(two, alice.token).then(
          () => true,
          () => false,
        ),
      5_000,
      'a place freed by a closed socket',
    );
  });

  it('gives back the place of a socket whose client left during its handshake', async () => {
    const [one, two] = instances.map((i) => i.url);
    const frank = await createUser(one, 'Frank');
    // Each is admitted while its client is gone already: Socket.IO drops it unannounced.
    for (let i = 0; i < 6; i++) {
      await abandonHandshake(i % 2 ? two : one, frank.token);
    }
    const sockets: ChatClient[] = [];
    await waitUntil(
      () =>
        connect(one, frank.token).then(
          (socket) => sockets.push(socket) > 0,
          () => false,
        ),
      5_000,
      'the abandoned handshakes to hold no place',
    );
    sockets.push(await connect(two, frank.token), await connect(one, frank.token));
    expect(sockets.map((s) => s.connected)).toEqual([true, true, true]);
    await expect(connect(two, frank.token)).rejects.toThrow('too_many_connections');
  });
});

/**
 * Opens a connection, asks to connect with the token and closes the
 * connection at once, before the server's handshake can answer.
 */
async function abandonHandshake(url: string, token: string): Promise<void> {
  const manager = new Manager(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const socket = manager.socket('/', { auth: { token } });
  socket.connect(); // sends the CONNECT packet as soon as the connection is open
  await new Promise<void>((resolve) => manager.once('open', () => resolve()));
  const closed = new Promise<void>((resolve) => manager.engine.once('close', () => resolve()));
  manager.engine.close(); // after the CONNECT packet, which it flushes first
  await closed;
}
