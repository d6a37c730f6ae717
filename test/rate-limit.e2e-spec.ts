import { randomUUID } from 'node:crypto';
import { createRoom, history } from './factories/rooms.js';
import { createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, request, sleep } from './setup/sockets.js';

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
