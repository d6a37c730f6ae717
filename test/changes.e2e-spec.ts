import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import type { MessageResponse } from '../src/messages/message.response.js';
import { changes, createRoom, history, postMessage } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import {
  closeAllClients,
  connect,
  errorAck,
  Inbox,
  request as emit,
  sleep,
  type ChatClient,
} from './setup/sockets.js';

/** Rows straight from Postgres: what is stored, not what the API shows. */
async function storedRows(text: string, values: unknown[]): Promise<unknown[]> {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(text, values)).rows;
  } finally {
    await db.end();
  }
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('edit, delete and the change feed (§9)', () => {
  let instances: Instance[];
  let one: string;
  let two: string;
  let eve: TestUser;

  beforeAll(async () => {
    instances = await startInstances(2, { RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' });
    [one, two] = instances.map((i) => i.url);
    eve = await createUser(one, 'Eve');
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  const freshPair = () => Promise.all([createUser(one, 'Alice'), createUser(two, 'Bob')]);

  /** A direct room of two fresh people, each with a socket on another instance. */
  async function conversation() {
    const [alice, bob] = await freshPair();
    const room = await createRoom(one, alice, [bob]);
    const aliceSocket = await connect(one, alice.token);
    const bobSocket = await connect(two, bob.token);
    return {
      alice,
      bob,
      room,
      aliceSocket,
      bobSocket,
      aliceInbox: new Inbox(aliceSocket),
      bobInbox: new Inbox(bobSocket),
      eveInbox: new Inbox(await connect(two, eve.token)),
    };
  }

  const acked = async (socket: ChatClient, event: 'edit_message' | 'delete_message', payload: object) => {
    const ack = (await emit(socket, event, payload)) as any;
    expect(ack.status).toBe('success');
    return ack.message as MessageResponse;
  };

  describe('edit_message', () => {
    it('lets the sender edit: editedAt and the next rev set, message_updated to every participant, nobody else', async () => {
      const { alice, bob, room, aliceSocket, aliceInbox, bobInbox, eveInbox } = await conversation();
      const original = await postMessage(one, alice, room.id, 'helo');
      await postMessage(two, bob, room.id, 'hi');
      const edited = await acked(aliceSocket, 'edit_message', {
        roomId: room.id,
        messageId: original.messageId,
        content: 'hello',
      });
      expect(edited).toEqual({
        ...original,
        content: 'hello',
        rev: 3,
        editedAt: expect.stringMatching(ISO_TIME),
        deletedAt: null,
      });
      const event = { type: 'message_updated', message: edited };
      expect(await bobInbox.waitFor('message_updated')).toEqual(event);
      expect(await aliceInbox.waitFor('message_updated')).toEqual(event);
      expect((await history(two, bob, room.id))[0]).toEqual(edited);
      await sleep(200);
      expect(eveInbox.of('message_updated')).toHaveLength(0);
    });

    it('answers the same content again with the stored message, broadcasting nothing', async () => {
      const { alice, room, aliceSocket, bobInbox } = await conversation();
      const original = await postMessage(one, alice, room.id, 'v1');
      const payload = { roomId: room.id, messageId: original.messageId, content: 'v2' };
      const edited = await acked(aliceSocket, 'edit_message', payload);
      expect(await acked(aliceSocket, 'edit_message', payload)).toEqual(edited);
      const again = await request(two)
        .patch(`/rooms/${room.id}/messages/${original.messageId}`)
        .set(auth(alice))
        .send({ content: 'v2' })
        .expect(200);
      expect(again.body).toEqual(edited);
      await sleep(300);
      expect(bobInbox.of('message_updated')).toHaveLength(1);
      expect((await changes(one, alice, room.id)).rev).toBe(2);
    });

    it('works over HTTP: PATCH answers 200 with the edited message and broadcasts it', async () => {
      const { alice, room, bobInbox } = await conversation();
      const original = await postMessage(one, alice, room.id, 'typo');
      const response = await request(two)
        .patch(`/rooms/${room.id}/messages/${original.messageId}`)
        .set(auth(alice))
        .send({ content: 'fixed' })
        .expect(200);
      expect(response.body).toMatchObject({ messageId: original.messageId, content: 'fixed', rev: 2 });
      expect((await bobInbox.waitFor('message_updated')).message).toEqual(response.body);
    });
  });

  describe('delete_message', () => {
    it('leaves a tombstone with its seq, empty content and deletedAt, broadcast as message_deleted; again answers the same tombstone', async () => {
      const { alice, bob, room, aliceSocket, aliceInbox, bobInbox } = await conversation();
      const secret = `secret ${randomUUID()}`;
      const original = await postMessage(one, alice, room.id, secret);
      const later = await postMessage(two, bob, room.id, 'later');
      const payload = { roomId: room.id, messageId: original.messageId };
      const tombstone = await acked(aliceSocket, 'delete_message', payload);
      expect(tombstone).toEqual({
        ...original,
        content: '',
        rev: 3,
        deletedAt: expect.stringMatching(ISO_TIME),
      });
      const event = { type: 'message_deleted', message: tombstone };
      expect(await bobInbox.waitFor('message_deleted')).toEqual(event);
      expect(await aliceInbox.waitFor('message_deleted')).toEqual(event);
      expect(await acked(aliceSocket, 'delete_message', payload)).toEqual(tombstone);
      const overHttp = await request(two)
        .delete(`/rooms/${room.id}/messages/${original.messageId}`)
        .set(auth(alice))
        .expect(200);
      expect(overHttp.body).toEqual(tombstone);
      expect(await history(two, bob, room.id)).toEqual([tombstone, later]);
      expect(await changes(one, bob, room.id)).toEqual({ changes: [later, tombstone], rev: 3 });
      // Gone from Postgres, not hidden: no row holds the text any more.
      expect(await storedRows('SELECT 1 FROM messages WHERE content LIKE $1', [`%${secret}%`])).toEqual([]);
      await sleep(300);
      expect(bobInbox.of('message_deleted')).toHaveLength(1);
    });

    it('shows a deleted last message as a tombstone in GET /rooms and GET /rooms/:roomId', async () => {
      const { alice, bob, room } = await conversation();
      const message = await postMessage(one, alice, room.id, 'to be deleted');
      const response = await request(one)
        .delete(`/rooms/${room.id}/messages/${message.messageId}`)
        .set(auth(alice))
        .expect(200);
      const rooms = await request(two).get('/rooms').set(auth(bob)).expect(200);
      expect(rooms.body.find((r: { id: string }) => r.id === room.id).lastMessage).toEqual(response.body);
      const single = await request(two).get(`/rooms/${room.id}`).set(auth(bob)).expect(200);
      expect(single.body.lastMessage).toEqual(response.body);
    });

    it('answers a retry of the create after a delete with the tombstone, storing nothing twice', async () => {
      const { alice, room, aliceSocket } = await conversation();
      const original = await postMessage(one, alice, room.id, 'sent once');
      const tombstone = await acked(aliceSocket, 'delete_message', {
        roomId: room.id,
        messageId: original.messageId,
      });
      const retry = (await emit(aliceSocket, 'create_message', {
        roomId: room.id,
        messageId: original.messageId,
        content: 'sent once',
      })) as any;
      expect(retry).toEqual({ status: 'success', message: tombstone });
      expect(await history(one, alice, room.id)).toEqual([tombstone]);
    });
  });

  describe('bad edits and deletes: a clear error, nothing changed, nothing broadcast', () => {
    let context: Awaited<ReturnType<typeof conversation>>;
    let mine: MessageResponse;
    let deleted: MessageResponse;

    beforeAll(async () => {
      context = await conversation();
      const { alice, room, aliceSocket } = context;
      mine = await postMessage(one, alice, room.id, 'mine');
      deleted = await postMessage(one, alice, room.id, 'deleted');
      deleted = await acked(aliceSocket, 'delete_message', { roomId: room.id, messageId: deleted.messageId });
    });

    const cases: [string, () => [ChatClient, string, object], string, number][] = [
      [
        'editing someone else’s message',
        () => [context.bobSocket, 'edit_message', { messageId: mine.messageId, content: 'mine now' }],
        'forbidden',
        403,
      ],
      [
        'deleting someone else’s message',
        () => [context.bobSocket, 'delete_message', { messageId: mine.messageId }],
        'forbidden',
        403,
      ],
      [
        'editing an unknown message',
        () => [context.aliceSocket, 'edit_message', { messageId: 'no_such_message', content: 'x' }],
        'not_found',
        404,
      ],
      [
        'deleting an unknown message',
        () => [context.aliceSocket, 'delete_message', { messageId: 'no_such_message' }],
        'not_found',
        404,
      ],
      [
        'editing a tombstone',
        () => [context.aliceSocket, 'edit_message', { messageId: deleted.messageId, content: 'back' }],
        'conflict',
        409,
      ],
      [
        'blank content',
        () => [context.aliceSocket, 'edit_message', { messageId: mine.messageId, content: ' \n ' }],
        'validation_failed',
        400,
      ],
      [
        'content of 4,001 characters',
        () => [context.aliceSocket, 'edit_message', { messageId: mine.messageId, content: 'x'.repeat(4001) }],
        'validation_failed',
        400,
      ],
      [
        'content that is not a string',
        () => [context.aliceSocket, 'edit_message', { messageId: mine.messageId, content: 7 }],
        'validation_failed',
        400,
      ],
    ];

    it.each(cases)('refuses %s', async (_, make, code, status) => {
      const { alice, room, aliceInbox, bobInbox } = context;
      const [socket, action, payload] = make();
      const before = await changes(one, alice, room.id);
      const ack = (await emit(socket, action as 'edit_message', { roomId: room.id, ...payload })) as any;
      expect(ack).toEqual(errorAck(code));
      // The HTTP twin, as the same caller.
      const caller = socket === context.bobSocket ? context.bob : alice;
      const { messageId, ...body } = payload as { messageId: string };
      const path = `/rooms/${room.id}/messages/${messageId}`;
      const response =
        action === 'edit_message'
          ? await request(two).patch(path).set(auth(caller)).send(body)
          : await request(two).delete(path).set(auth(caller));
      expect(response.status).toBe(status);
      expect(await changes(one, alice, room.id)).toEqual(before);
      await sleep(100);
      expect([...aliceInbox.of('message_updated'), ...bobInbox.of('message_updated')]).toHaveLength(0);
      expect(bobInbox.of('message_deleted')).toHaveLength(1); // the setup's own delete
    });

    it('answers 403 to a non-participant and 404 for an unknown room, over both transports', async () => {
      const { room } = context;
      const eveSocket = await connect(one, eve.token);
      const outsider = (await emit(eveSocket, 'edit_message', {
        roomId: room.id,
        messageId: mine.messageId,
        content: 'x',
      })) as any;
      expect(outsider.error.code).toBe('forbidden');
      await request(one).delete(`/rooms/${room.id}/messages/${mine.messageId}`).set(auth(eve)).expect(403);
      await request(one).delete(`/rooms/room_unknown/messages/${mine.messageId}`).set(auth(eve)).expect(404);
      await request(one).delete(`/rooms/${room.id}/messages/bad%00id`).set(auth(context.alice)).expect(404);
      expect((await history(one, context.alice, room.id)).map((m) => m.content)).toEqual(['mine', '']);
    });
  });

  describe('GET /rooms/:roomId/changes', () => {
    it('answers every new message after since, by rev, with the room’s rev', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      expect(await changes(two, bob, room.id)).toEqual({ changes: [], rev: 0 });
      const sent: MessageResponse[] = [];
      for (let i = 0; i < 7; i++) {
        sent.push(await postMessage(i % 2 ? one : two, i % 3 ? alice : bob, room.id, `m${i}`));
      }
      expect(sent.map((m) => [m.seq, m.rev, m.editedAt, m.deletedAt])).toEqual(
        sent.map((_, i) => [i + 1, i + 1, null, null]),
      );
      expect(await changes(two, bob, room.id)).toEqual({ changes: sent, rev: 7 });
      expect(await changes(one, alice, room.id, '?since=2&limit=3')).toEqual({
        changes: sent.slice(2, 5),
        rev: 7,
      });
      expect(await changes(one, alice, room.id, '?since=7')).toEqual({ changes: [], rev: 7 });
      expect(await changes(one, alice, room.id, '?since=70')).toEqual({ changes: [], rev: 7 });
    });

    it.each([
      ['since=-1'],
      ['since=x'],
      ['since=1.5'],
      ['since='],
      ['since=2147483648'], // past Postgres' integer: refused here, not failed there
      ['limit=0'],
      ['limit=201'],
      ['limit=ten'],
      ['after=1'],
    ])('refuses ?%s with 400', async (query) => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const response = await request(one)
        .get(`/rooms/${room.id}/changes?${query}`)
        .set(auth(alice))
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it('answers 403 to a non-participant, 404 for an unknown room, 401 without a token', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      await request(one).get(`/rooms/${room.id}/changes`).set(auth(eve)).expect(403);
      await request(one).get('/rooms/room_unknown/changes').set(auth(eve)).expect(404);
      await request(one).get(`/rooms/${room.id}/changes`).expect(401);
    });
  });

  describe('guarantees', () => {
    it('gives concurrent edits and deletes of one message on two instances one gap-free rev each, and a consistent end state', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const message = await postMessage(one, alice, room.id, 'v0');
      const sockets = await Promise.all([connect(one, alice.token), connect(two, alice.token)]);
      const ref = { roomId: room.id, messageId: message.messageId };
      const acks = (await Promise.all([
        ...Array.from({ length: 16 }, (_, i) =>
          emit(sockets[i % 2], 'edit_message', { ...ref, content: `v${(i % 8) + 1}` }),
        ),
        emit(sockets[1], 'delete_message', ref),
      ])) as any[];
      // Edits that came after the delete are conflicts; everything else succeeded.
      expect(acks.every((a) => a.status === 'success' || a.error.code === 'conflict')).toBe(true);
      const feed = await changes(two, bob, room.id);
      expect(feed.changes).toHaveLength(1);
      const [final] = feed.changes;
      expect(final).toMatchObject({ content: '', deletedAt: expect.any(String), rev: feed.rev });
      // Every rev from 1 (the create) to the room's is one acknowledged change.
      const revs = new Set([1, ...acks.filter((a) => a.status === 'success').map((a) => a.message.rev)]);
      expect([...revs].sort((a, b) => a - b)).toEqual(Array.from({ length: feed.rev }, (_, i) => i + 1));
    });

    it('pages with since while writers on two instances send, edit and delete, never skipping or repeating a change', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const rounds = 30;
      let changesMade = 0;
      let writing = true;
      const writers = [
        { url: one, user: alice },
        { url: two, user: bob },
      ].map(async ({ url, user }) => {
        const own: MessageResponse[] = [];
        for (let i = 0; i < rounds; i++) {
          own.push(await postMessage(url, user, room.id, `${user.name} ${i}`));
          changesMade++;
          const index = Math.floor(Math.random() * own.length);
          const path = `/rooms/${room.id}/messages/${own[index].messageId}`;
          if (i % 3 === 1) {
            const edit = await request(url)
              .patch(path)
              .set(auth(user))
              .send({ content: `edit ${i}` });
            expect([200, 409]).toContain(edit.status); // 409: deleted already
            if (edit.status === 200) {
              own[index] = edit.body;
              changesMade++;
            }
          } else if (i % 5 === 4) {
            const tombstone = (await request(url).delete(path).set(auth(user)).expect(200)).body;
            changesMade += own[index].deletedAt === null ? 1 : 0;
            own[index] = tombstone;
          }
        }
      });
      const done = Promise.all(writers).finally(() => (writing = false));

      // A client that only ever keeps the highest rev it has seen, and the
      // latest state of each message by id.
      const known = new Map<string, MessageResponse>();
      let since = 0;
      let pages = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await changes(pages++ % 2 ? one : two, bob, room.id, `?since=${since}&limit=4`);
        for (const change of page.changes) {
          expect(change.rev).toBeGreaterThan(since); // in rev order, never one seen before
          since = change.rev;
          known.set(change.messageId, change);
        }
        expect(page.rev).toBeGreaterThanOrEqual(since);
        if (!stillWriting && page.changes.length === 0) {
          break;
        }
      }
      await done;
      // What the client pieced together is the room as it is.
      const everything = await changes(one, alice, room.id, '?limit=200');
      expect([...known.values()].sort((a, b) => a.rev - b.rev)).toEqual(everything.changes);
      expect(everything.changes).toHaveLength(2 * rounds);
      expect(everything.rev).toBe(since);
      // Gap-free: the room's rev counts every change made.
      expect(everything.rev).toBe(changesMade);
      expect(pages).toBeGreaterThan(10);
    });
  });
});
