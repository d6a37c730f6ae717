import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createRoom } from './factories/rooms.js';
import { createUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { startRedisCluster } from '../scripts/redis-cluster.js';
import { PrivateRedis } from './setup/redis-server.js';
import { closeAllClients, connect, Inbox, request as act, sleep, type ChatClient } from './setup/sockets.js';
import { backplaneCounters } from '../scripts/metrics-text.js';
import type { MessageResponse } from '../src/messages/message.response.js';
import type { ResyncEvent } from '../src/realtime/events.js';
import { HANDSHAKE_WAIT_MS } from '../src/redis/lone-users.js';
import { RedisConnections } from '../src/redis/redis-connections.js';
import { MAX_USER_PUBLISHES } from '../src/redis/sharded-adapter.js';
import { auth } from './factories/users.js';

const counters = async (instance: Instance) =>
  backplaneCounters((await request(instance.url).get('/metrics').expect(200)).text);

/**
 * A private Redis of each kind, so nothing else publishes on it; on one
 * Redis, the users only one instance holds skip Redis (LoneUsers).
 */
const REDIS_KINDS = {
  'one Redis': {
    loneUsers: true,
    start: async () => {
      const redis = await PrivateRedis.start();
      return { url: redis.url, stop: () => redis.kill() };
    },
  },
  'a three-master Redis Cluster': {
    loneUsers: false,
    start: async () => {
      const cluster = await startRedisCluster(3);
      return { url: cluster.url, stop: () => cluster.stop() };
    },
  },
};

/** Delays the instance's `here`s (LoneUsers) by `ms`; white-box: its publish link. */
function slowHeres(instance: Instance, ms: number): () => void {
  const { pub } = instance.app.get(RedisConnections);
  const spublish = pub.spublish.bind(pub);
  const slow = (channel: string, message: string) =>
    message.includes('"c":"here"')
      ? sleep(ms).then(() => spublish(channel, message))
      : spublish(channel, message);
  pub.spublish = slow;
  return () => (pub.spublish = spublish);
}

/**
 * Issue 14: with sharded pub/sub (one channel per user) an instance
 * receives from Redis only the broadcasts of users it holds a socket of;
 * the same on a Redis Cluster, where rate limits, presence and typing
 * cooldowns (hash-tagged keys) must work too.
 */
describe.each(Object.entries(REDIS_KINDS))('sharded pub/sub on %s', (_, { loneUsers, start }) => {
  let redis: { url: string; stop: () => Promise<void> };
  let instances: Instance[];

  beforeAll(async () => {
    redis = await start();
    instances = await startInstances(3, { REDIS_URL: redis.url, REDIS_PUBSUB: 'sharded' });
  });

  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
    await redis.stop();
  });

  /** Sends `count` messages, waits until every inbox heard them all, and answers each instance's counters over it. */
  async function countedSends(socket: ChatClient, roomId: string, count: number, inboxes: Inbox[]) {
    const before = await Promise.all(instances.map(counters));
    const contents = Array.from({ length: count }, () => randomUUID());
    for (const content of contents) {
      const ack = await act(socket, 'create_message', { roomId, messageId: randomUUID(), content });
      expect(ack.status).toBe('success');
    }
    for (const inbox of inboxes) {
      for (const content of contents) {
        await inbox.waitFor('message_created', (e) => e.message.content === content);
      }
    }
    await sleep(200); // the echoes and the other instances' copies are in
    const after = await Promise.all(instances.map(counters));
    return after.map((a, i) => ({
      published: a.redisPublishes - before[i].redisPublishes,
      received: a.redisBroadcastsReceived - before[i].redisBroadcastsReceived,
      delivered: a.socketDeliveries - before[i].socketDeliveries,
    }));
  }

  it('delivers across instances while an instance with none of the room receives nothing', async () => {
    const [one, two, three] = instances;
    const [alice, bob, dave] = await Promise.all(['Alice', 'Bob', 'Dave'].map((n) => createUser(one.url, n)));
    const room = await createRoom(one.url, alice, [bob]);
    const aliceSocket = await connect(one.url, alice.token);
    const bobInbox = new Inbox(await connect(two.url, bob.token));
    new Inbox(await connect(three.url, dave.token));
    await sleep(200); // Bob's presence has reached Alice: only the messages are counted
    const sent = 10;
    const delta = await countedSends(aliceSocket, room.id, sent, [bobInbox]);
    // Bob's instance hears each message once, for Bob; Dave's none. Alice's
    // publishes for Bob; on one Redis it knows no other instance holds
    // Alice, so it publishes nothing for her and hears nothing back; on a
    // cluster it publishes for her too and drops that echo undecoded.
    expect(delta[1]).toEqual({ published: 0, received: sent, delivered: sent });
    expect(delta[2]).toEqual({ published: 0, received: 0, delivered: 0 });
    expect(delta[0]).toEqual(
      loneUsers
        ? { published: sent, received: 0, delivered: sent }
        : { published: 2 * sent, received: sent, delivered: sent },
    );
  });

  // Only where lone users are on (one Redis): the protocol does not run on a cluster.
  if (loneUsers) {
    it("publishes a lone user's events again once another instance holds the user, and stops once it is gone", async () => {
      const [one, two, three] = instances;
      const [gina, hal] = await Promise.all(['Gina', 'Hal'].map((n) => createUser(one.url, n)));
      const room = await createRoom(one.url, gina, [hal]);
      const ginaSocket = await connect(one.url, gina.token);
      const halInbox = new Inbox(await connect(two.url, hal.token));
      await sleep(200); // Hal's presence has reached Gina
      const alone = await countedSends(ginaSocket, room.id, 5, [halInbox]);
      expect(alone[0]).toEqual({ published: 5, received: 0, delivered: 5 });

      // Gina's phone on instance three: her messages from instance one reach it.
      const phone = await connect(three.url, gina.token);
      const phoneInbox = new Inbox(phone);
      await sleep(200);
      const shared = await countedSends(ginaSocket, room.id, 5, [halInbox, phoneInbox]);
      expect(shared[0]).toEqual({ published: 10, received: 5, delivered: 5 });
      expect(shared[2]).toEqual({ published: 0, received: 5, delivered: 5 });

      // The phone leaves: instance one asks again, hears it is alone, and stops.
      phone.disconnect();
      await sleep(300);
      const againAlone = await countedSends(ginaSocket, room.id, 5, [halInbox]);
      expect(againAlone[0]).toEqual({ published: 5, received: 0, delivered: 5 });
    });

    it("lets a user's new socket on another instance hear every message sent after it connected, while they are being sent", async () => {
      const [one, two] = instances;
      const [ivy, jon] = await Promise.all(['Ivy', 'Jon'].map((n) => createUser(one.url, n)));
      const room = await createRoom(one.url, ivy, [jon]);
      const ivySocket = await connect(one.url, ivy.token);
      // The new socket's instance says `here` slowly: had the socket
      // connected before Ivy's instance heard it, it would miss what was
      // sent meanwhile (her instance skips Redis for her until then).
      const restore = slowHeres(two, 300);
      // Within the rate limit (20 a second): every message is stored.
      const sent: { messageId: string; at: number }[] = [];
      let sending = true;
      const sender = (async () => {
        while (sending) {
          const messageId = randomUUID();
          const at = Date.now();
          const ack = await act(ivySocket, 'create_message', {
            roomId: room.id,
            messageId,
            content: 'stream',
          });
          expect(ack.status).toBe('success');
          sent.push({ messageId, at });
          await sleep(60);
        }
      })();
      const missed: string[] = [];
      let heard = 0;
      try {
        for (let round = 0; round < 8; round++) {
          const tablet = await connect(two.url, ivy.token);
          const connectedAt = Date.now();
          const inbox = new Inbox(tablet);
          await sleep(400);
          const due = sent.filter((m) => m.at > connectedAt);
          heard += due.length;
          for (const { messageId } of due) {
            await inbox
              .waitFor('message_created', (e) => e.message.messageId === messageId, 1_000)
              .catch(() => missed.push(messageId));
          }
          tablet.disconnect();
          await sleep(50);
        }
      } finally {
        sending = false;
        await sender;
        restore();
      }
      expect(heard).toBeGreaterThanOrEqual(8 * 4);
      expect(missed).toEqual([]);
    });

    it('resyncs a new socket whose `here` was answered only after it had connected', async () => {
      const [one, two] = instances;
      const [kim, lou] = await Promise.all(['Kim', 'Lou'].map((n) => createUser(one.url, n)));
      const room = await createRoom(one.url, kim, [lou]);
      const kimSocket = await connect(one.url, kim.token);
      const restore = slowHeres(two, HANDSHAKE_WAIT_MS + 500);
      try {
        // Connected once the handshake stopped waiting; Kim's instance still skips Redis for her.
        const tablet = new Inbox(await connect(two.url, kim.token));
        const ack = await act(kimSocket, 'create_message', {
          roomId: room.id,
          messageId: randomUUID(),
          content: 'x',
        });
        expect(ack.status).toBe('success');
        const { rev } = (ack as { message: MessageResponse }).message;
        await tablet.waitFor(
          'resync',
          (e: ResyncEvent) => e.rooms.some((r) => r.roomId === room.id && r.rev >= rev),
          3_000,
        );
      } finally {
        restore();
      }
    });
  }

  it("connects a user's first socket on an instance only once its channel is subscribed: it hears what is sent right after", async () => {
    const [one, two] = instances;
    const [erin, fred] = await Promise.all(['Erin', 'Fred'].map((n) => createUser(one.url, n)));
    const room = await createRoom(one.url, erin, [fred]);
    const erinSocket = await connect(one.url, erin.token);
    // Redis confirms Fred's channel on his instance slowly.
    const shardSub = two.app.get(RedisConnections).shardSub;
    const ssubscribe = shardSub.ssubscribe.bind(shardSub);
    shardSub.ssubscribe = (channel) => sleep(300).then(() => ssubscribe(channel));
    try {
      const fredInbox = new Inbox(await connect(two.url, fred.token));
      const messageId = randomUUID();
      const ack = await act(erinSocket, 'create_message', {
        roomId: room.id,
        messageId,
        content: 'right after',
      });
      expect(ack.status).toBe('success');
      await fredInbox.waitFor('message_created', (e) => e.message.messageId === messageId, 2_000);
    } finally {
      shardSub.ssubscribe = ssubscribe;
    }
  });

  it('sends a broadcast to more than MAX_USER_PUBLISHES users once, still only to its participants', async () => {
    const [one, two, three] = instances;
    const people = await Promise.all(
      Array.from({ length: MAX_USER_PUBLISHES + 2 }, (_, i) => createUser(one.url, `Member ${i}`)),
    );
    const [alice, leaver, ...others] = people;
    const outsider = await createUser(one.url, 'Outsider');
    const room = await createRoom(one.url, alice, [leaver, ...others]);
    const aliceSocket = await connect(one.url, alice.token);
    // Everyone but Alice on instance two; instance three holds only the outsider.
    const inboxes = await Promise.all(
      [leaver, ...others].map(async (user) => new Inbox(await connect(two.url, user.token))),
    );
    const [leaverInbox, ...otherInboxes] = inboxes;
    const outsiderInbox = new Inbox(await connect(three.url, outsider.token));
    await request(two.url).delete(`/rooms/${room.id}/participants/me`).set(auth(leaver)).expect(200);
    await sleep(200);
    const sent = 5;
    const delta = await countedSends(aliceSocket, room.id, sent, otherInboxes);
    // One publish per message for the five remaining participants; every
    // instance hears it (its sender too, and drops that echo undecoded).
    expect(delta[0]).toEqual({ published: sent, received: sent, delivered: sent });
    expect(delta[1]).toEqual({ published: 0, received: sent, delivered: sent * others.length });
    expect(delta[2]).toEqual({ published: 0, received: sent, delivered: 0 });
    // Who hears it is still the participant list: not the leaver, not the outsider.
    for (const inbox of otherInboxes) {
      expect(inbox.of('message_created').filter((e) => e.message.roomId === room.id)).toHaveLength(sent);
    }
    expect(leaverInbox.of('message_created')).toEqual([]);
    expect(outsiderInbox.of('message_created')).toEqual([]);
  });

  it('holds rate limits, presence and typing on it', async () => {
    const [one, two] = instances;
    const [alice, bob] = await Promise.all(['Alice', 'Bob'].map((n) => createUser(one.url, n)));
    const room = await createRoom(one.url, alice, [bob]);
    const aliceSocket = await connect(one.url, alice.token);
    const bobInbox = new Inbox(await connect(two.url, bob.token));
    // A burst over the limit (40): some refused, across the batch's slots.
    const acks = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        act(aliceSocket, 'create_message', { roomId: room.id, messageId: randomUUID(), content: `${i}` }),
      ),
    );
    const refused = acks
      .filter((a) => a.status === 'error')
      .map((a) => (a as { error: { code: string } }).error.code);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['rate_limited']));
    const online = await request(two.url)
      .get(`/users/${alice.id}`)
      .set({ Authorization: `Bearer ${bob.token}` });
    expect(online.body).toMatchObject({ online: true });
    expect(await act(aliceSocket, 'typing', { roomId: room.id, typing: true })).toMatchObject({
      status: 'success',
    });
    await bobInbox.waitFor('typing', (e) => e.userId === alice.id);
  });
});
