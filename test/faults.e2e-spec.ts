import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { metricValue } from '../scripts/metrics-text.js';
import { endSubscriberConnections } from '../src/redis/subscriber-heartbeat.js';
import { createRoom, history } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { PrivateRedis } from './setup/redis-server.js';
import { closeAllClients, connect, Inbox, request as emit, sleep, type ChatClient } from './setup/sockets.js';
import { TcpProxy } from './setup/tcp-proxy.js';
import { waitUntil } from './setup/wait.js';

const readiness = async (url: string) => (await request(url).get('/health/ready')).status;
const metric = async (url: string, name: string) =>
  metricValue((await request(url).get('/metrics').expect(200)).text, name);

describe('when Redis goes away', () => {
  let redis: PrivateRedis;
  let instances: Instance[];
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let roomId: string;
  let aliceSocket: ChatClient;
  let bobInbox: Inbox;
  let carolInbox: Inbox;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    instances = await startInstances(2, { REDIS_URL: redis.url });
    const [one, two] = instances.map((i) => i.url);
    [alice, bob, carol] = await Promise.all([createUser(one), createUser(two), createUser(one)]);
    roomId = (await createRoom(one, alice, [bob, carol])).id;
    aliceSocket = await connect(one, alice.token);
    bobInbox = new Inbox(await connect(two, bob.token));
    carolInbox = new Inbox(await connect(one, carol.token));
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
    await redis.kill();
  });

  it('keeps acknowledging and delivering locally, reports not ready, and resumes cross-instance delivery when back', async () => {
    const failuresBefore = await metric(instances[0].url, 'chat_redis_publish_failures_total');
    expect(await metric(instances[0].url, 'chat_redis_publishes_held')).toBe(0);
    await redis.kill();
    await waitUntil(
      async () => (await readiness(instances[0].url)) === 503,
      15_000,
      'not ready without Redis',
    );

    const during = (await emit(aliceSocket, 'create_message', {
      roomId,
      messageId: randomUUID(),
      content: 'during',
    })) as any;
    expect(during.status).toBe('success');
    await carolInbox.waitFor('message_created', (e) => e.message.messageId === during.message.messageId);
    // Its publishes (one per participant) wait for Redis, and are counted.
    expect(await metric(instances[0].url, 'chat_redis_publish_failures_total')).toBeGreaterThanOrEqual(
      failuresBefore + 3,
    );
    expect(await metric(instances[0].url, 'chat_redis_publishes_held')).toBeGreaterThanOrEqual(3);
    await request(instances[1].url).get('/health/live').expect(200);
    // Bob, on the other instance, missed it live and catches up from history.
    const missed = await history(instances[1].url, bob, roomId, '?limit=200');
    expect(missed.map((m) => m.messageId)).toContain(during.message.messageId);

    await redis.restart();
    await waitUntil(
      async () => (await readiness(instances[0].url)) === 200 && (await readiness(instances[1].url)) === 200,
      15_000,
      'both ready once Redis is back',
    );
    await waitUntil(
      async () => (await metric(instances[0].url, 'chat_redis_publishes_held')) === 0,
      5_000,
      'the held publishes sent once Redis is back',
    );
    const after = (await emit(aliceSocket, 'create_message', {
      roomId,
      messageId: randomUUID(),
      content: 'after',
    })) as any;
    await bobInbox.waitFor('message_created', (e) => e.message.messageId === after.message.messageId);
  });

  it('delivers live to a socket that connected while Redis was away, once it is back', async () => {
    const [one, two] = instances.map((i) => i.url);
    const dave = await createUser(two);
    const room = await createRoom(one, alice, [dave]);
    await redis.kill();
    await waitUntil(async () => (await readiness(two)) === 503, 15_000, 'not ready without Redis');
    // Its first socket anywhere: the subscription to its user's channel cannot be made now.
    const daveInbox = new Inbox(await connect(two, dave.token));
    await redis.restart();
    await waitUntil(
      async () => (await readiness(one)) === 200 && (await readiness(two)) === 200,
      15_000,
      'both ready once Redis is back',
    );
    await daveInbox.waitFor('resync');
    const sent = (await emit(aliceSocket, 'create_message', {
      roomId: room.id,
      messageId: randomUUID(),
      content: 'to a socket born in the outage',
    })) as any;
    expect(sent.status).toBe('success');
    await daveInbox.waitFor('message_created', (e) => e.message.messageId === sent.message.messageId);
  });

  it('holds the send limit per instance while Redis is away instead of letting everything through', async () => {
    await redis.kill();
    await waitUntil(
      async () => (await readiness(instances[0].url)) === 503,
      15_000,
      'not ready without Redis',
    );
    const acks = (await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        emit(aliceSocket, 'create_message', { roomId, messageId: randomUUID(), content: `flood ${i}` }),
      ),
    )) as any[];
    const sent = acks.filter((a) => a.status === 'success').length;
    // This instance's own bucket: a burst of 40 plus what refills meanwhile.
    expect(sent).toBeGreaterThanOrEqual(40);
    expect(sent).toBeLessThan(60);
    expect(acks.filter((a) => a.error?.code === 'rate_limited')).toHaveLength(80 - sent);
    await redis.restart();
    await waitUntil(
      async () => (await readiness(instances[0].url)) === 200,
      15_000,
      'ready once Redis is back',
    );
  });
});

describe('when Postgres goes away', () => {
  let postgres: TcpProxy;
  let instance: Instance[];
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  let aliceSocket: ChatClient;

  beforeAll(async () => {
    const direct = new URL(process.env.DATABASE_URL!);
    postgres = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.port = String(postgres.port);
    instance = await startInstances(1, { DATABASE_URL: direct.toString(), SHUTDOWN_TIMEOUT_MS: '5000' });
    [alice, bob] = await Promise.all([createUser(instance[0].url), createUser(instance[0].url)]);
    roomId = (await createRoom(instance[0].url, alice, [bob])).id;
    aliceSocket = await connect(instance[0].url, alice.token);
  });
  afterAll(async () => {
    closeAllClients();
    await postgres.restore();
    await stopInstances(instance);
    await postgres.stop();
  });

  it('answers unavailable, never a false success, and a retry with the same messageId succeeds exactly once', async () => {
    const payload = { roomId, messageId: randomUUID(), content: 'through an outage' };
    await postgres.cut();
    const refused = (await emit(aliceSocket, 'create_message', payload)) as any;
    expect(refused).toEqual({ status: 'error', error: { code: 'unavailable', message: expect.any(String) } });
    expect(await readiness(instance[0].url)).toBe(503);
    await request(instance[0].url)
      .post(`/rooms/${roomId}/messages`)
      .set('Authorization', `Bearer ${alice.token}`)
      .send({ messageId: randomUUID(), content: 'x' })
      .expect(503);

    await postgres.restore();
    await waitUntil(
      async () => (await readiness(instance[0].url)) === 200,
      15_000,
      'ready once Postgres is back',
    );
    const retried = (await emit(aliceSocket, 'create_message', payload)) as any;
    const again = (await emit(aliceSocket, 'create_message', payload)) as any;
    expect(retried.status).toBe('success');
    expect(again).toEqual(retried);
    const stored = (await history(instance[0].url, bob, roomId, '?limit=200')).filter(
      (m) => m.messageId === payload.messageId,
    );
    expect(stored).toHaveLength(1);
  });

  // §8: a presence change is announced even when Postgres, which stores the
  // departure and knows the room-mates, was away as it happened.
  it('announces a user going offline during the outage once Postgres is back', async () => {
    const bobInbox = new Inbox(await connect(instance[0].url, bob.token));
    await postgres.cut();
    aliceSocket.disconnect(); // Alice's last socket: she goes offline while Postgres is away
    await sleep(1_000);
    await postgres.restore();
    const offline = await bobInbox.waitFor('presence', (e) => e.userId === alice.id && !e.online, 15_000);
    expect(offline.lastSeenAt).toEqual(expect.any(String));
  });
});

describe('graceful shutdown', () => {
  it('turns not-ready, lets the action in flight commit and ack, then disconnects its sockets', async () => {
    const direct = new URL(process.env.DATABASE_URL!);
    const postgres = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.port = String(postgres.port);
    const [instance] = await startInstances(1, {
      DATABASE_URL: direct.toString(),
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    try {
      const [alice, bob] = await Promise.all([createUser(instance.url), createUser(instance.url)]);
      const roomId = (await createRoom(instance.url, alice, [bob])).id;
      const socket = await connect(instance.url, alice.token);
      const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));

      postgres.pause(); // the next message hangs in its transaction
      const inFlight = emit(socket, 'create_message', {
        roomId,
        messageId: randomUUID(),
        content: 'in flight',
      });
      await sleep(200);
      const closing = instance.app.close();
      await waitUntil(async () => (await readiness(instance.url)) === 503, 5_000, 'not ready while draining');
      const late = (await emit(socket, 'create_message', {
        roomId,
        messageId: randomUUID(),
        content: 'late',
      })) as any;
      expect(late.error.code).toBe('unavailable');
      // A handshake meanwhile has its connection closed, which clients retry (a refusal they would not).
      const newcomer = io(instance.url, {
        auth: { token: alice.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const outcome = await new Promise((resolve) => {
        newcomer.once('connect', () => resolve('connected'));
        newcomer.once('connect_error', (error) => resolve(`refused: ${error.message}`));
        newcomer.io.once('close', (reason) => resolve(reason));
      });
      newcomer.close();
      expect(outcome).toBe('transport close');

      await postgres.restore();
      const ack = (await inFlight) as any;
      expect(ack.status).toBe('success');
      await closing;
      // A closed transport, which Socket.IO clients reconnect by themselves (not "io server disconnect").
      expect(await disconnected).toBe('transport close');
    } finally {
      closeAllClients();
      await postgres.stop();
    }
  });
});

// A link the network drops without a word (no FIN, no RST) stays "connected"
// while nothing arrives on it; the proxy holding all traffic looks the same.
describe('when the link to Redis stops answering without closing', () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let instances: Instance[];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const direct = new URL(redis.url);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port) });
    instances = [
      ...(await startInstances(1, { REDIS_URL: redis.url })),
      ...(await startInstances(1, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` })),
    ];
  });
  afterAll(async () => {
    closeAllClients();
    await proxy.restore();
    await stopInstances(instances);
    await proxy.stop();
    await redis.kill();
  });

  it('notices it within seconds, connects again, and resyncs its sockets for what they missed', async () => {
    const [one, two] = instances.map((i) => i.url);
    const [amy, ben] = await Promise.all([createUser(one), createUser(two)]);
    const roomId = (await createRoom(one, amy, [ben])).id;
    const amySocket = await connect(one, amy.token);
    const benInbox = new Inbox(await connect(two, ben.token));

    proxy.pause();
    const during = (await emit(amySocket, 'create_message', {
      roomId,
      messageId: randomUUID(),
      content: 'while the link was silent',
    })) as any;
    expect(during.status).toBe('success');
    // Not ready while Redis does not answer, said within a probe's patience rather than left hanging.
    const probing = Date.now();
    expect(await readiness(two)).toBe(503);
    expect(Date.now() - probing).toBeLessThan(3_000);
    await sleep(16_000); // with the above, longer than two unanswered heartbeats after a quiet one
    await proxy.restore();

    await benInbox.waitFor(
      'resync',
      (e) =>
        e.rooms.some(
          (r: { roomId: string; rev: number }) => r.roomId === roomId && r.rev >= during.message.rev,
        ),
      15_000,
    );
  }, 60_000);

  it("ends the silent connection on Redis's side too, where it would count as a subscriber for minutes", async () => {
    const name = `sub-${randomUUID().slice(0, 8)}`;
    const silent = new Redis(redis.url, { connectionName: name });
    const commands = new Redis(redis.url);
    try {
      await silent.ssubscribe('chat:{heartbeat-probe}');
      await endSubscriberConnections(commands, name);
      expect(await commands.call('PUBSUB', 'SHARDNUMSUB', 'chat:{heartbeat-probe}')).toEqual([
        'chat:{heartbeat-probe}',
        0,
      ]);
    } finally {
      silent.disconnect();
      commands.disconnect();
    }
  });

  // §1: a revoked token's socket does not stay connected, even one whose
  // handshake read the token while the revocation was under way (held here in
  // the Redis calls after that read: it could not hear the disconnect).
  it('disconnects a socket whose handshake checked its token just before a revocation', async () => {
    const [one, two] = instances.map((i) => i.url);
    const erin = await createUser(one);
    proxy.pause();
    const connecting = connect(two, erin.token);
    await sleep(500); // its token is checked by now; the handshake waits on Redis
    await request(one).post('/auth/revoke').set(auth(erin)).expect(204);
    await proxy.restore();

    const socket = await connecting; // admitted on the token as it was when read
    await waitUntil(() => !socket.connected, 5_000, 'the socket to be disconnected');
  });
});

describe('presence when Redis restarts empty', () => {
  let redis: PrivateRedis;
  let instances: Instance[];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    instances = await startInstances(2, { REDIS_URL: redis.url, PRESENCE_HEARTBEAT_MS: '300' });
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
    await redis.kill();
  });

  it('is right again without restarting instances, announcing who came and went meanwhile', async () => {
    const [one, two] = instances.map((i) => i.url);
    const [alice, bob, carol, dave] = await Promise.all([1, 2, 3, 4].map(() => createUser(one)));
    await createRoom(one, bob, [alice, carol, dave]);
    const bobInbox = new Inbox(await connect(two, bob.token));
    const heard = (user: TestUser, online: boolean) =>
      bobInbox.waitFor('presence', (e) => e.userId === user.id && e.online === online, 15_000);
    const aliceSocket = await connect(one, alice.token);
    const carolSocket = await connect(one, carol.token);
    await Promise.all([heard(alice, true), heard(carol, true)]);

    await redis.kill();
    // Connecting and leaving go on without Redis.
    const carolLeft = Date.now();
    carolSocket.disconnect();
    await connect(one, dave.token);
    await sleep(500);
    await redis.restart(); // with none of the presence keys

    const [carolOffline] = await Promise.all([heard(carol, false), heard(dave, true)]);
    expect(Math.abs(Date.parse(carolOffline.lastSeenAt) - carolLeft)).toBeLessThan(1_000);
    const presence = async (user: TestUser) =>
      (await request(two).get(`/users/${user.id}`).set(auth(bob)).expect(200)).body;
    await waitUntil(
      async () => (await presence(alice)).online && (await presence(bob)).online,
      15_000,
      'everyone still connected shown online',
    );
    expect(await presence(carol)).toMatchObject({ online: false, lastSeenAt: carolOffline.lastSeenAt });
    expect(await presence(dave)).toMatchObject({ online: true, lastSeenAt: null });

    // And changes from now on are announced at once, as before.
    aliceSocket.disconnect();
    await heard(alice, false);
  });
});
