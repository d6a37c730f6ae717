import pg from 'pg';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createRoom, postMessage } from './factories/rooms.js';
import type { MessageResponse } from '../src/messages/message.response.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, useInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox, request as act, sleep, type ChatClient } from './setup/sockets.js';
import { waitUntil } from './setup/wait.js';

// §6: read markers, unread counts and receipts, over two instances.
describe('read state', () => {
  let instances: Instance[];
  let one: string;
  let two: string;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let eve: TestUser;
  let roomId: string;
  let aliceSocket: ChatClient;
  let bobSocket: ChatClient;
  let bobOtherSocket: ChatClient;
  let aliceInbox: Inbox;
  let bobInbox: Inbox;
  let bobOtherInbox: Inbox;
  /** Someone in no room with them: hears no receipt of theirs (§4). */
  let eveInbox: Inbox;

  const room = async (user: TestUser, id = roomId) =>
    (await request(one).get(`/rooms/${id}`).set(auth(user)).expect(200)).body;
  const markers = async (user = alice) =>
    (await request(two).get(`/rooms/${roomId}/reads`).set(auth(user)).expect(200)).body;
  const send = (socket: ChatClient, content: string) =>
    act(socket, 'create_message', { roomId, messageId: randomUUID(), content }) as Promise<any>;

  beforeAll(async () => {
    instances = await startInstances(2);
    [one, two] = instances.map((i) => i.url);
    [alice, bob, carol, eve] = await Promise.all(
      ['Alice', 'Bob', 'Carol', 'Eve'].map((name, i) => createUser(i % 2 ? two : one, name)),
    );
    roomId = (await createRoom(one, alice, [bob, carol])).id;
    aliceSocket = await connect(one, alice.token);
    bobSocket = await connect(two, bob.token);
    bobOtherSocket = await connect(one, bob.token);
    [aliceInbox, bobInbox, bobOtherInbox] = [aliceSocket, bobSocket, bobOtherSocket].map((s) => new Inbox(s));
    eveInbox = new Inbox(await connect(two, eve.token));
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('starts every creator at 0 with nothing unread', async () => {
    expect(await room(bob)).toMatchObject({ lastReadSeq: 0, unreadCount: 0 });
    expect(await markers()).toEqual(
      [alice, bob, carol]
        .map((u) => ({ userId: u.id, lastReadSeq: 0 }))
        .sort((a, b) => (a.userId < b.userId ? -1 : 1)),
    );
  });

  it("moves the sender's marker with each message, without a receipt, and counts others' messages as unread", async () => {
    await send(aliceSocket, 'one');
    await send(aliceSocket, 'two');
    await postMessage(one, alice, roomId, 'three');
    expect(await room(alice)).toMatchObject({ lastReadSeq: 3, unreadCount: 0 });
    expect(await room(bob)).toMatchObject({ lastReadSeq: 0, unreadCount: 3 });
    const listed = (await request(two).get('/rooms').set(auth(bob)).expect(200)).body;
    expect(listed.find((r: any) => r.id === roomId)).toMatchObject({ lastReadSeq: 0, unreadCount: 3 });
    await sleep(200);
    expect([...aliceInbox.of('room_read'), ...bobInbox.of('room_read')]).toEqual([]);
  });

  it('moves each sender to their own newest message when batches from two instances interleave', async () => {
    const [aliceAcks, carolAcks] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, (_, i) => send(aliceSocket, `a${i}`))),
      (async () => {
        const carolSocket = await connect(two, carol.token);
        return Promise.all(Array.from({ length: 20 }, (_, i) => send(carolSocket, `c${i}`)));
      })(),
    ]);
    const newest = (acks: any[]) => Math.max(...acks.map((a) => a.message.seq));
    expect(await room(alice)).toMatchObject({ lastReadSeq: newest(aliceAcks) });
    expect(await room(carol)).toMatchObject({ lastReadSeq: newest(carolAcks) });
    expect((await room(bob)).unreadCount).toBe(43);
  });

  it('moves the marker on mark_read and tells every socket of every participant, the reader’s own included', async () => {
    const ack = await act(bobSocket, 'mark_read', { roomId, seq: 40 });
    const read = { roomId, userId: bob.id, lastReadSeq: 40 };
    expect(ack).toEqual({ status: 'success', read });
    for (const inbox of [aliceInbox, bobInbox, bobOtherInbox]) {
      expect(await inbox.waitFor('room_read', (e) => e.read.lastReadSeq === 40)).toEqual({
        type: 'room_read',
        read,
      });
    }
    expect(await room(bob)).toMatchObject({ lastReadSeq: 40, unreadCount: 3 });
  });

  it('caps the marker at the last message and never moves it back; only a move is broadcast', async () => {
    const capped = (await act(bobSocket, 'mark_read', { roomId, seq: 1_000_000 })) as any;
    expect(capped.read.lastReadSeq).toBe(43);
    await aliceInbox.waitFor('room_read', (e) => e.read.lastReadSeq === 43);
    const before = aliceInbox.of('room_read').length;
    const back = (await act(bobSocket, 'mark_read', { roomId, seq: 5 })) as any;
    const again = (await act(bobSocket, 'mark_read', { roomId, seq: 43 })) as any;
    // Any integer is a place in the room (§6), however far past its end.
    const huge = await Promise.all(
      [2 ** 31, Number.MAX_SAFE_INTEGER, 1e300].map((seq) => act(bobSocket, 'mark_read', { roomId, seq })),
    );
    expect([back, again, ...huge].map((ack: any) => ack.read?.lastReadSeq)).toEqual([43, 43, 43, 43, 43]);
    await sleep(200);
    expect(aliceInbox.of('room_read')).toHaveLength(before);
    expect(await room(bob)).toMatchObject({ lastReadSeq: 43, unreadCount: 0 });
  });

  it('has an HTTP twin answering 200 with the same object, and lists every marker', async () => {
    await postMessage(one, alice, roomId, 'forty-four');
    await postMessage(one, alice, roomId, 'forty-five');
    const response = await request(two)
      .post(`/rooms/${roomId}/read`)
      .set(auth(carol))
      .send({ seq: 44 })
      .expect(200);
    expect(response.body).toEqual({ roomId, userId: carol.id, lastReadSeq: 44 });
    await bobInbox.waitFor('room_read', (e) => e.read.userId === carol.id && e.read.lastReadSeq === 44);
    expect(await markers(bob)).toEqual(
      [
        { userId: alice.id, lastReadSeq: 45 },
        { userId: bob.id, lastReadSeq: 43 },
        { userId: carol.id, lastReadSeq: 44 },
      ].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
    );
    expect(await room(carol)).toMatchObject({ lastReadSeq: 44, unreadCount: 1 });
  });

  describe('bad input changes nothing', () => {
    it.each([
      ['a negative seq', { seq: -1 }],
      ['a fractional seq', { seq: 1.5 }],
      ['a string seq', { seq: '3' }],
      ['a missing seq', {}],
      ['a null seq', { seq: null }],
      ['an unknown field', { seq: 1, extra: true }],
    ])('refuses %s over the socket and HTTP', async (_, body) => {
      const before = aliceInbox.of('room_read').length;
      const marker = (await room(bob)).lastReadSeq;
      const ack = (await act(bobSocket, 'mark_read', { roomId, ...body })) as any;
      expect(ack.error.code).toBe('validation_failed');
      await request(one).post(`/rooms/${roomId}/read`).set(auth(bob)).send(body).expect(400);
      await sleep(50);
      expect(aliceInbox.of('room_read')).toHaveLength(before);
      expect((await room(bob)).lastReadSeq).toBe(marker);
    });

    it('answers not_found for an unknown room and forbidden to a stranger', async () => {
      const unknown = (await act(aliceSocket, 'mark_read', { roomId: 'room_nope', seq: 1 })) as any;
      expect(unknown.error.code).toBe('not_found');
      const eveSocket = await connect(one, eve.token);
      const stranger = (await act(eveSocket, 'mark_read', { roomId, seq: 1 })) as any;
      expect(stranger.error.code).toBe('forbidden');
      await request(one).post(`/rooms/${roomId}/read`).set(auth(eve)).send({ seq: 1 }).expect(403);
      await request(one).get(`/rooms/${roomId}/reads`).set(auth(eve)).expect(403);
      await request(one).get('/rooms/room_nope/reads').set(auth(eve)).expect(404);
      expect((await markers()).map((m: any) => m.userId)).not.toContain(eve.id);
      expect(aliceInbox.of('room_read').length).toBeGreaterThan(0);
      expect(eveInbox.of('room_read')).toEqual([]);
    });
  });
});

// §6 with §9–§10: deleted messages are not unread; a newcomer starts at the room's last seq.
describe('read state as rooms change', () => {
  const suite = useInstances(2);
  let one: string;
  let two: string;
  beforeAll(() => ([one, two] = suite.urls));

  const readState = async (url: string, user: TestUser, roomId: string) => {
    const { lastReadSeq, unreadCount } = (
      await request(url).get(`/rooms/${roomId}`).set(auth(user)).expect(200)
    ).body;
    return { lastReadSeq, unreadCount };
  };

  it('leaves deleted messages out of the unread count, wherever they are', async () => {
    const [alice, bob] = await Promise.all([createUser(one, 'Alice'), createUser(two, 'Bob')]);
    const roomId = (await createRoom(one, alice, [bob])).id;
    const sent: MessageResponse[] = [];
    for (const content of ['one', 'two', 'three', 'four']) {
      sent.push(await postMessage(one, alice, roomId, content));
    }
    await request(two).post(`/rooms/${roomId}/read`).set(auth(bob)).send({ seq: 1 }).expect(200);
    expect(await readState(two, bob, roomId)).toEqual({ lastReadSeq: 1, unreadCount: 3 });
    const remove = (seq: number) =>
      request(one)
        .delete(`/rooms/${roomId}/messages/${sent[seq - 1].messageId}`)
        .set(auth(alice))
        .expect(200);
    await remove(3); // after Bob's marker: no longer unread
    expect(await readState(two, bob, roomId)).toEqual({ lastReadSeq: 1, unreadCount: 2 });
    await remove(1); // before it: changes nothing
    expect(await readState(two, bob, roomId)).toEqual({ lastReadSeq: 1, unreadCount: 2 });
    const listed = (await request(one).get('/rooms').set(auth(bob)).expect(200)).body;
    expect(listed.find((r: any) => r.id === roomId)).toMatchObject({ lastReadSeq: 1, unreadCount: 2 });
  });

  it('answers the marker as it is once its row is free, when a send moved it meanwhile', async () => {
    const [alice, bob] = await Promise.all([createUser(one, 'Alice'), createUser(two, 'Bob')]);
    const roomId = (await createRoom(one, alice, [bob])).id;
    for (const content of ['one', 'two', 'three']) {
      await postMessage(one, alice, roomId, content);
    }
    // What a batch storing Bob's message does to his marker, held uncommitted.
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query('UPDATE room_participants SET last_read_seq = 3 WHERE room_id = $1 AND user_id = $2', [
        roomId,
        bob.id,
      ]);
      const answered = request(two)
        .post(`/rooms/${roomId}/read`)
        .set(auth(bob))
        .send({ seq: 2 })
        .then((response) => response.body);
      // Committed only once the marker's statement is waiting for the row
      // (statistics are read afresh: a transaction keeps its first snapshot).
      const waiting = async () => {
        await db.query('SELECT pg_stat_clear_snapshot()');
        const { rowCount } = await db.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE '%room_participants%' AND pid <> pg_backend_pid()`,
        );
        return rowCount! > 0;
      };
      await waitUntil(waiting, 5_000, 'the marker statement to wait for the row');
      await db.query('COMMIT');
      expect(await answered).toEqual({ roomId, userId: bob.id, lastReadSeq: 3 });
    } finally {
      await db.end();
    }
    expect(await readState(one, bob, roomId)).toEqual({ lastReadSeq: 3, unreadCount: 0 });
  });

  it('starts someone added at the room’s last message, and refuses read and typing to someone who left', async () => {
    const [alice, bob, carol, dan] = await Promise.all(
      ['Alice', 'Bob', 'Carol', 'Dan'].map((name) => createUser(one, name)),
    );
    const roomId = (await createRoom(one, alice, [bob, carol])).id;
    await postMessage(one, alice, roomId, 'before Dan');
    await postMessage(one, bob, roomId, 'still before Dan');
    await request(two)
      .post(`/rooms/${roomId}/participants`)
      .set(auth(alice))
      .send({ participants: [dan.id] })
      .expect(200);
    expect(await readState(two, dan, roomId)).toEqual({ lastReadSeq: 2, unreadCount: 0 });
    await postMessage(one, alice, roomId, 'after Dan');
    expect(await readState(one, dan, roomId)).toEqual({ lastReadSeq: 2, unreadCount: 1 });

    await request(one).delete(`/rooms/${roomId}/participants/me`).set(auth(carol)).expect(200);
    const carolSocket = await connect(two, carol.token);
    for (const [action, payload] of [
      ['mark_read', { roomId, seq: 3 }],
      ['typing', { roomId, typing: true }],
    ] as const) {
      const ack = (await act(carolSocket, action, payload)) as any;
      expect(ack.error.code).toBe('forbidden');
    }
    await request(two).get(`/rooms/${roomId}/reads`).set(auth(carol)).expect(403);
    const markers = (await request(two).get(`/rooms/${roomId}/reads`).set(auth(alice)).expect(200)).body;
    expect(markers.map((m: any) => m.userId).sort()).toEqual([alice.id, bob.id, dan.id].sort());
  });
});
