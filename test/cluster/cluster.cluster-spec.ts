import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startCluster, type Cluster } from '../../scripts/cluster.js';
import type { MessageResponse } from '../../src/messages/message.response.js';
import { createRoom, history } from '../factories/rooms.js';
import { auth, createUser, type TestUser } from '../factories/users.js';
import {
  closeAllClients,
  connect,
  Inbox,
  request as emit,
  sleep,
  type ChatClient,
} from '../setup/sockets.js';
import {
  affinityKeysPerInstance,
  clusterEnv,
  instanceAt,
  instanceForAffinity,
  ProcessLog,
  socketRequestsWithAffinity,
} from './helpers.js';
import { waitUntil } from '../setup/wait.js';

/**
 * Three `node dist/main.js` processes behind nginx (deploy/nginx.conf), every
 * request and socket going through the load balancer, as in production.
 */
describe('a cluster of three instances behind nginx', () => {
  const processLog = new ProcessLog();
  const unexpectedExits: string[] = [];
  let cluster: Cluster;
  let lb: string;
  /** keys[i]: the `affinity` that makes nginx send a socket to instances[i]. */
  let keys: string[];

  beforeAll(async () => {
    cluster = await startCluster({
      instances: 3,
      port: 0,
      basePort: 0,
      env: clusterEnv(),
      log: processLog.push,
      onExit: (name, info) => unexpectedExits.push(`${name}: ${JSON.stringify(info)}`),
    });
    lb = cluster.lbUrl;
    keys = await affinityKeysPerInstance(cluster);
  }, 60_000);

  afterAll(async () => {
    closeAllClients();
    await cluster?.stop();
  });

  afterEach(() => {
    // No instance (nor nginx) may die on its own during any test.
    expect(unexpectedExits).toEqual([]);
  });

  it('round-robins plain HTTP over all three instances, and the REST basics work through it', async () => {
    const servedBy = new Set<string>();
    const seen = <T extends request.Response>(response: T): T => {
      servedBy.add(instanceAt(cluster, response.headers['x-upstream-addr']).name);
      return response;
    };
    const tag = randomUUID().slice(0, 8);

    // POST /users
    const signUp = seen(
      await request(lb)
        .post('/users')
        .send({ name: `  Ann ${tag} `, avatar: 'https://example.com/ann.png' })
        .expect(201),
    );
    expect(signUp.body).toEqual({
      id: expect.stringMatching(/^user_/),
      name: `Ann ${tag}`,
      avatar: 'https://example.com/ann.png',
      token: expect.any(String),
    });
    const ann = signUp.body as TestUser;
    const others: TestUser[] = [];
    for (const name of [`Ben ${tag}`, `Bea ${tag}`]) {
      const response = seen(await request(lb).post('/users').send({ name }).expect(201));
      others.push(response.body as TestUser);
    }
    const [ben, bea] = others;
    seen(await request(lb).post('/users').send({ name: ' ' }).expect(400));

    // GET /users: everyone but the caller, by name; paging with Link
    seen(await request(lb).get('/users').expect(401));
    // Seed fields plus presence: neither has connected a socket yet.
    const listed = (user: TestUser) => ({ ...user, token: undefined, online: false, lastSeenAt: null });
    const found = seen(await request(lb).get('/users').query({ q: tag }).set(auth(ann)).expect(200));
    expect(found.body).toEqual([listed(bea), listed(ben)]);
    const firstPage = seen(
      await request(lb).get('/users').query({ q: tag, limit: 1 }).set(auth(ann)).expect(200),
    );
    expect(firstPage.body).toEqual([listed(bea)]);
    const next = /^<([^>]+)>; rel="next"$/.exec(firstPage.headers.link)![1];
    const secondPage = seen(await request(lb).get(next).set(auth(ann)).expect(200));
    expect(secondPage.body).toEqual([listed(ben)]);
    expect(secondPage.headers.link).toBeUndefined();

    // POST /rooms: 201 new, 200 for the existing direct room (asked from the other side)
    const created = seen(
      await request(lb)
        .post('/rooms')
        .set(auth(ann))
        .send({ participants: [ben.id] })
        .expect(201),
    );
    const room = created.body;
    expect(room).toEqual({
      id: expect.stringMatching(/^room_/),
      participants: [
        { id: ann.id, name: ann.name },
        { id: ben.id, name: ben.name },
      ],
      createdAt: expect.any(String),
      lastMessage: null,
      name: null,
    });
    const again = seen(
      await request(lb)
        .post('/rooms')
        .set(auth(ben))
        .send({ participants: [ann.id, ben.id] })
        .expect(200),
    );
    expect(again.body).toEqual(room);
    seen(
      await request(lb)
        .post('/rooms')
        .set(auth(ann))
        .send({ participants: ['user_nobody'] })
        .expect(404),
    );

    // POST /rooms/:id/messages, then GET /rooms/:id/messages
    const sent: MessageResponse[] = [];
    for (const [sender, content] of [
      [ann, 'hello through nginx'],
      [ben, 'hi back'],
      [ann, 'third'],
    ] as const) {
      const messageId = randomUUID();
      const response = seen(
        await request(lb)
          .post(`/rooms/${room.id}/messages`)
          .set(auth(sender))
          .send({ messageId, content })
          .expect(201),
      );
      expect(response.body).toMatchObject({ messageId, content, senderId: sender.id, seq: sent.length + 1 });
      sent.push(response.body as MessageResponse);
    }
    const retry = seen(
      await request(lb)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(ann))
        .send({ messageId: sent[0].messageId, content: sent[0].content })
        .expect(200),
    );
    expect(retry.body).toEqual(sent[0]);
    const all = seen(
      await request(lb).get(`/rooms/${room.id}/messages`).query({ limit: 200 }).set(auth(ben)).expect(200),
    );
    expect(all.body).toEqual(sent);
    const after = seen(
      await request(lb)
        .get(`/rooms/${room.id}/messages`)
        .query({ after: sent[0].messageId })
        .set(auth(ann))
        .expect(200),
    );
    expect(after.body).toEqual(sent.slice(1));
    seen(await request(lb).get(`/rooms/${room.id}/messages`).set(auth(bea)).expect(403));

    // GET /rooms and GET /rooms/:id, with the caller's read state (§6): a
    // sender's marker is at their newest message, the rest is unread.
    const readState = (user: TestUser) => {
      const lastReadSeq = Math.max(...sent.filter((m) => m.senderId === user.id).map((m) => m.seq));
      return { lastReadSeq, unreadCount: sent.length - lastReadSeq };
    };
    const rooms = seen(await request(lb).get('/rooms').set(auth(ben)).expect(200));
    expect(rooms.body).toEqual([{ ...room, lastMessage: sent[2], ...readState(ben) }]);
    const one = seen(await request(lb).get(`/rooms/${room.id}`).set(auth(ann)).expect(200));
    expect(one.body).toEqual({ ...room, lastMessage: sent[2], ...readState(ann) });

    expect([...servedBy].sort()).toEqual(['app1', 'app2', 'app3']);
  });

  it('sends every Socket.IO handshake with one affinity key to the same instance', async () => {
    for (let round = 0; round < 5; round++) {
      const names = [];
      for (const key of keys) {
        names.push((await instanceForAffinity(cluster, key)).name);
      }
      expect(names).toEqual(cluster.instances.map((i) => i.name));
    }
  });

  describe.each([
    ['WebSocket only', ['websocket'], 'websocket'],
    ['long-polling only', ['polling'], 'polling'],
    [
      'the default transports (long-polling, then the upgrade to WebSocket)',
      ['polling', 'websocket'],
      'websocket',
    ],
  ])('over %s', (label, transports, settledTransport) => {
    let alice: TestUser;
    let bob: TestUser;
    let eve: TestUser;
    let sockets: ChatClient[];
    let inboxes: Inbox[];
    let logged: number[];

    beforeAll(async () => {
      [alice, bob, eve] = await Promise.all(['Alice', 'Bob', 'Eve'].map((name) => createUser(lb, name)));
      logged = await Promise.all(
        keys.map(async (key) => (await socketRequestsWithAffinity(cluster, key)).length),
      );
      // Alice on app1, Bob on app2, Eve on app3: each through nginx, each sticky by its key.
      sockets = await Promise.all(
        [alice, bob, eve].map((user, i) =>
          connect(lb, user.token, { transports, query: { affinity: keys[i] } }),
        ),
      );
      inboxes = sockets.map((socket) => new Inbox(socket));
      await waitUntil(
        () => sockets.every((s) => s.io.engine.transport.name === settledTransport),
        5_000,
        `every socket on ${settledTransport}`,
      );
    });

    afterAll(() => sockets?.forEach((s) => s.disconnect()));

    it('A and B on different instances exchange messages both ways; C on the third instance hears nothing', async () => {
      const [aliceSocket, bobSocket] = sockets;
      const [aliceInbox, bobInbox, eveInbox] = inboxes;

      const room = await createRoom(lb, alice, [bob]);
      for (const inbox of [aliceInbox, bobInbox]) {
        expect(await inbox.waitFor('room_created', (e) => e.room.id === room.id)).toEqual({
          type: 'room_created',
          room,
        });
      }

      const acked: MessageResponse[] = [];
      for (let i = 0; i < 6; i++) {
        const [sender, socket, own, other] =
          i % 2 === 0 ? [alice, aliceSocket, aliceInbox, bobInbox] : [bob, bobSocket, bobInbox, aliceInbox];
        const messageId = randomUUID();
        const content = `${label} #${i + 1}`;
        const ack = (await emit(socket, 'create_message', { roomId: room.id, messageId, content })) as any;
        expect(ack).toEqual({
          status: 'success',
          message: {
            roomId: room.id,
            messageId,
            content,
            senderId: sender.id,
            createdAt: expect.any(String),
            status: 'success',
            seq: i + 1,
            rev: i + 1,
            editedAt: null,
            deletedAt: null,
          },
        });
        const event = { type: 'message_created', message: ack.message };
        expect(await other.waitFor('message_created', (e) => e.message.messageId === messageId)).toEqual(
          event,
        );
        expect(await own.waitFor('message_created', (e) => e.message.messageId === messageId)).toEqual(event);
        acked.push(ack.message);
      }

      // Live delivery was exactly what was acked, in seq order, on both sides.
      for (const inbox of [aliceInbox, bobInbox]) {
        expect(inbox.of('message_created').map((e) => e.message)).toEqual(acked);
      }
      // History through nginx (round robin: any instance may answer) matches.
      expect(await history(lb, bob, room.id, '?limit=200')).toEqual(acked);
      expect(await history(lb, alice, room.id, `?after=${acked[2].messageId}&limit=200`)).toEqual(
        acked.slice(3),
      );
      expect(await history(lb, alice, room.id, `?before=${acked[3].messageId}&limit=2`)).toEqual(
        acked.slice(1, 3),
      );

      // Eve, connected all along to the third instance, heard nothing of it...
      await sleep(300);
      expect(eveInbox.received).toEqual([]);
      // ...though her socket works: a room of her own reaches her there.
      const evesRoom = await createRoom(lb, bob, [eve]);
      await eveInbox.waitFor('room_created', (e) => e.room.id === evesRoom.id);
      const hers = randomUUID();
      await emit(bobSocket, 'create_message', { roomId: evesRoom.id, messageId: hers, content: 'hi Eve' });
      await eveInbox.waitFor('message_created', (e) => e.message.messageId === hers);
      expect(eveInbox.of('message_created').map((e) => e.message.messageId)).toEqual([hers]);
      expect(sockets.every((s) => s.io.engine.transport.name === settledTransport)).toBe(true);
    });

    it('served each of the three sockets from a different instance, as its affinity key said', async () => {
      sockets.forEach((s) => s.disconnect());
      // nginx logs a WebSocket when it closes: wait for each session's lines.
      const served = async () =>
        Promise.all(
          keys.map(async (key, i) => (await socketRequestsWithAffinity(cluster, key)).slice(logged[i])),
        );
      await waitUntil(
        async () =>
          (await served()).every((entries) =>
            entries.some((e) => e.request.includes(`transport=${settledTransport}`)),
          ),
        5_000,
        'access log lines for every socket',
      );
      const entries = await served();
      entries.forEach((forKey, i) => {
        expect(new Set(forKey.map((e) => e.instance))).toEqual(new Set([cluster.instances[i].name]));
        expect(forKey.every((e) => e.status < 400)).toBe(true);
      });
      if (transports.includes('polling')) {
        // The session really was long-polling through nginx (handshake, then GETs/POSTs with its sid).
        entries.forEach((forKey) =>
          expect(
            forKey.filter((e) => /transport=polling.*sid=|sid=.*transport=polling/.test(e.request)).length,
          ).toBeGreaterThan(0),
        );
      }
    });
  });
});
