import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createRoom, history, postMessage } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import type { NewMessage } from '../src/messages/insert-batch.js';
import { MessagesRepository, type StoredMessage } from '../src/messages/messages.repository.js';
import { MEMBERSHIP_MOVED } from '../src/rooms/membership.repository.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox, request as emit } from './setup/sockets.js';

describe('messages over HTTP', () => {
  let instances: Instance[];
  let one: string;
  let two: string;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;

  beforeAll(async () => {
    // Throughput tests below would trip the per-user limit; it has its own suite.
    instances = await startInstances(2, { RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' });
    [one, two] = instances.map((i) => i.url);
    [alice, bob, eve] = await Promise.all([
      createUser(one, 'Alice'),
      createUser(two, 'Bob'),
      createUser(one, 'Eve'),
    ]);
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  const freshPair = () => Promise.all([createUser(one, 'Alice'), createUser(two, 'Bob')]);

  describe('POST /rooms/:roomId/messages', () => {
    it('answers 201 with the stored message, 200 with the same message on replay, and broadcasts', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const bobInbox = new Inbox(await connect(two, bob.token));
      const messageId = randomUUID();
      const first = await request(one)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(alice))
        .send({ messageId, content: 'Hello!' })
        .expect(201);
      expect(first.body).toEqual({
        roomId: room.id,
        messageId,
        content: 'Hello!',
        senderId: alice.id,
        createdAt: expect.any(String),
        status: 'success',
        seq: 1,
        rev: 1,
        editedAt: null,
        deletedAt: null,
      });
      const replay = await request(two)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(alice))
        .send({ messageId, content: 'Hello!' })
        .expect(200);
      expect(replay.body).toEqual(first.body);
      // Broadcast again on replay (§3): live delivery is at-least-once, deduplicated by the client.
      await bobInbox.waitFor('message_created', () => bobInbox.of('message_created').length === 2);
      expect(bobInbox.of('message_created')).toEqual([
        { type: 'message_created', message: first.body },
        { type: 'message_created', message: first.body },
      ]);
      await request(one)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(alice))
        .send({ messageId, content: 'other' })
        .expect(409);
    });

    it('answers 403 to a non-participant, 404 for an unknown room, 400 for bad bodies, 401 without a token', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const body = { messageId: randomUUID(), content: 'x' };
      await request(one).post(`/rooms/${room.id}/messages`).set(auth(eve)).send(body).expect(403);
      await request(one).post('/rooms/room_unknown/messages').set(auth(eve)).send(body).expect(404);
      await request(one)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(alice))
        .send({ ...body, content: '  ' })
        .expect(400);
      await request(one)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(alice))
        .send({ ...body, roomId: room.id })
        .expect(400);
      await request(one)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(alice))
        .send({ ...body, senderId: bob.id })
        .expect(403);
      await request(one).post(`/rooms/${room.id}/messages`).send(body).expect(401);
      expect(await history(one, alice, room.id)).toEqual([]);
    });
  });

  describe('GET /rooms/:roomId/messages', () => {
    let roomId: string;
    let sent: string[];

    beforeAll(async () => {
      roomId = (await createRoom(one, alice, [bob])).id;
      sent = [];
      for (let i = 0; i < 120; i++) {
        sent.push((await postMessage(i % 2 ? one : two, i % 3 ? alice : bob, roomId, `m${i}`)).messageId);
      }
    });

    it('returns the latest 50, oldest first, with seq 1..n', async () => {
      const page = await history(two, bob, roomId);
      expect(page.map((m) => m.messageId)).toEqual(sent.slice(-50));
      expect(page.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    });

    it('pages backwards with before and forwards with after, never skipping or repeating', async () => {
      const backwards: string[] = [];
      let page = await history(one, alice, roomId, '?limit=7');
      while (page.length > 0) {
        backwards.unshift(...page.map((m) => m.messageId));
        page = await history(one, alice, roomId, `?limit=7&before=${page[0].messageId}`);
      }
      expect(backwards).toEqual(sent);

      const forwards: string[] = [];
      page = await history(two, bob, roomId, `?limit=11&after=${sent[0]}`);
      while (page.length > 0) {
        forwards.push(...page.map((m) => m.messageId));
        page = await history(two, bob, roomId, `?limit=11&after=${page.at(-1)!.messageId}`);
      }
      expect(forwards).toEqual(sent.slice(1));
    });

    it('answers 403 to non-participants, 404 for unknown rooms, 400 for bad queries', async () => {
      await request(one).get(`/rooms/${roomId}/messages`).set(auth(eve)).expect(403);
      await request(one).get('/rooms/room_unknown/messages').set(auth(eve)).expect(404);
      await request(one).get('/rooms/room%00x/messages').set(auth(eve)).expect(404);
      await request(one)
        .get(`/rooms/${'r'.repeat(5000)}/messages`)
        .set(auth(eve))
        .expect(404);
      for (const query of [
        'limit=0',
        'limit=201',
        'limit=x',
        `before=${sent[1]}&after=${sent[0]}`,
        'after=unknown_message',
        'sort=desc',
      ]) {
        await request(one).get(`/rooms/${roomId}/messages?${query}`).set(auth(alice)).expect(400);
      }
      await request(one).get(`/rooms/${roomId}/messages`).expect(401);
    });
  });

  describe('group commit (the message store of each instance)', () => {
    /** The store of an instance, for rooms whose membership never changed. */
    const storeOf = (instance: Instance) => ({
      async insert(message: NewMessage): Promise<StoredMessage> {
        const outcome = await instance.app.get(MessagesRepository).insert(message);
        if (outcome === MEMBERSHIP_MOVED) {
          throw new Error('the membership of a room nobody joined or left moved');
        }
        return outcome;
      },
    });
    const message = (roomId: string, sender: TestUser, content: string, messageId = randomUUID()) => ({
      messageId,
      roomId,
      senderId: sender.id,
      content,
      membersVersion: 0,
    });

    it('stores the new messages of a batch that also replays a stored one, with no gap in seq', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const store = storeOf(instances[0]);
      const replayed = message(room.id, alice, 'sent before');
      const first = await store.insert(replayed);
      // Submitted in one turn of the event loop: one batch.
      const [replay, ...fresh] = await Promise.all([
        store.insert(replayed),
        ...['one', 'two', 'three'].map((content) => store.insert(message(room.id, alice, content))),
      ]);
      expect(replay).toEqual({ message: first.message, created: false });
      expect(fresh.every((m) => m.created)).toBe(true);
      expect(fresh.map((m) => m.message.seq)).toEqual([2, 3, 4]);
      expect((await history(one, alice, room.id)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    });

    it('answers batches on two instances over the same two rooms, in opposite orders, without a deadlock, storing each message once', async () => {
      const [alice, bob] = await freshPair();
      const carol = await createUser(two, 'Carol');
      const [roomA, roomB] = await Promise.all([
        createRoom(one, alice, [bob]),
        createRoom(two, alice, [carol]),
      ]);
      const [x, y] = [randomUUID(), randomUUID()];
      // 1 + 2 × 249 + 1: one batch on each side (batches hold up to 500),
      // long enough that both statements run at the same time. Each batch
      // names the rooms in the other's order and ends with the other's first
      // message: taking room locks in batch order would deadlock.
      const fillers = (roomId: string) =>
        Array.from({ length: 249 }, (_, i) => message(roomId, alice, `${i}`));
      const batchA = [
        message(roomA.id, alice, 'x', x),
        ...fillers(roomA.id),
        ...fillers(roomB.id),
        message(roomB.id, alice, 'y', y),
      ];
      const batchB = [
        message(roomB.id, alice, 'y', y),
        ...fillers(roomB.id),
        ...fillers(roomA.id),
        message(roomA.id, alice, 'x', x),
      ];
      const started = performance.now();
      const [answersA, answersB] = await Promise.all([
        Promise.all(batchA.map((m) => storeOf(instances[0]).insert(m))),
        Promise.all(batchB.map((m) => storeOf(instances[1]).insert(m))),
      ]);
      // A deadlock is only found after deadlock_timeout (1 s), then retried.
      expect(performance.now() - started).toBeLessThan(900);
      for (const id of [x, y]) {
        // Both callers hear of the one stored message: its creator and the other.
        const answers = [...answersA, ...answersB].filter((a: StoredMessage) => a.message.messageId === id);
        expect(answers.filter((a) => a.created)).toHaveLength(1);
        expect(new Set(answers.map((a) => JSON.stringify(a.message))).size).toBe(1);
      }
      for (const room of [roomA, roomB]) {
        const all = await wholeHistory(alice, room.id);
        expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i + 1));
        expect(all).toHaveLength(499);
      }
    });

    it('stores one messageId in two rooms as two messages, even in one batch', async () => {
      const [alice, bob] = await freshPair();
      const carol = await createUser(two, 'Carol');
      const [roomA, roomB] = await Promise.all([
        createRoom(one, alice, [bob]),
        createRoom(two, alice, [carol]),
      ]);
      const id = randomUUID();
      const [a, b] = await Promise.all([
        storeOf(instances[0]).insert(message(roomA.id, alice, 'in A', id)),
        storeOf(instances[0]).insert(message(roomB.id, alice, 'in B', id)),
      ]);
      expect([a.created, b.created]).toEqual([true, true]);
      expect([a.message.roomId, a.message.content, a.message.seq]).toEqual([roomA.id, 'in A', 1]);
      expect([b.message.roomId, b.message.content, b.message.seq]).toEqual([roomB.id, 'in B', 1]);
    });

    /** A room's whole history, oldest first, read in pages of 200. */
    async function wholeHistory(user: TestUser, roomId: string) {
      const all = await history(one, user, roomId, '?limit=200');
      while (all.length > 0 && all[0].seq > 1) {
        all.unshift(...(await history(one, user, roomId, `?limit=200&before=${all[0].messageId}`)));
      }
      return all;
    }
  });

  describe('guarantees', () => {
    it('gives two writers on two instances interleaving 100 messages one gap-free seq order, the same from either instance', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const [aliceSocket, bobSocket] = await Promise.all([
        connect(one, alice.token),
        connect(two, bob.token),
      ]);
      const acks = (await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          emit(i % 2 ? aliceSocket : bobSocket, 'create_message', {
            roomId: room.id,
            messageId: randomUUID(),
            content: `${i}`,
          }),
        ),
      )) as any[];
      expect(acks.every((a) => a.status === 'success')).toBe(true);
      const fromOne = await history(one, alice, room.id, '?limit=200');
      const fromTwo = await history(two, bob, room.id, '?limit=200');
      expect(fromOne).toEqual(fromTwo);
      expect(fromOne.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(new Set(fromOne.map((m) => m.messageId))).toEqual(new Set(acks.map((a) => a.message.messageId)));
    });

    it('pages with after while messages are being written without skipping or repeating', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const writing = (async () => {
        for (let i = 0; i < 60; i++) {
          await postMessage(i % 2 ? one : two, alice, room.id, `live ${i}`);
        }
      })();
      // A reader that starts once the first message is there and then only
      // follows `after` must see every seq exactly once, in order.
      let page = await history(two, bob, room.id, '?limit=1');
      while (page.length === 0) {
        page = await history(two, bob, room.id, '?limit=1');
      }
      const read = page.map((m) => m.seq);
      let last = page[0].messageId;
      while (read.at(-1)! < 60) {
        page = await history(two, bob, room.id, `?limit=5&after=${last}`);
        read.push(...page.map((m) => m.seq));
        last = page.at(-1)?.messageId ?? last;
      }
      await writing;
      expect(read).toEqual(Array.from({ length: read.length }, (_, i) => read[0] + i));
      expect(read.at(-1)).toBe(60);
    });

    it('lets a client that was offline catch up with ?after= and miss nothing', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const bobSocket = await connect(two, bob.token);
      const bobInbox = new Inbox(bobSocket);
      await postMessage(one, alice, room.id, 'before going offline');
      const lastSeen = (await bobInbox.waitFor('message_created')).message.messageId;
      bobSocket.disconnect();
      const missed: string[] = [];
      for (let i = 0; i < 30; i++) {
        missed.push((await postMessage(one, alice, room.id, `while away ${i}`)).messageId);
      }
      await connect(two, bob.token);
      const caughtUp = await history(two, bob, room.id, `?after=${lastSeen}&limit=200`);
      expect(caughtUp.map((m) => m.messageId)).toEqual(missed);
    });
  });
});
