import pg from 'pg';
import request from 'supertest';
import type { RoomResponse } from '../src/rooms/room.response.js';
import { changes, createRoom, history, postMessage } from './factories/rooms.js';
import { auth, createUser } from './factories/users.js';
import { useInstances } from './setup/instances.js';
import { connect, errorAck, Inbox, request as emit, sleep } from './setup/sockets.js';

async function readMarker(roomId: string, userId: string): Promise<number> {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query(
      'SELECT last_read_seq FROM room_participants WHERE room_id = $1 AND user_id = $2',
      [roomId, userId],
    );
    return rows[0].last_read_seq as number;
  } finally {
    await db.end();
  }
}

const ids = (room: RoomResponse) => room.participants.map((p) => p.id).sort();

describe('group rooms and membership (§10)', () => {
  const suite = useInstances(2);
  let one: string;
  let two: string;
  beforeAll(() => ([one, two] = suite.urls));

  /** Three people in a group room, each with a socket (Alice on one, Bob and Carol on two). */
  async function group(name?: string) {
    const [alice, bob, carol] = await Promise.all([
      createUser(one, 'Alice'),
      createUser(two, 'Bob'),
      createUser(one, 'Carol'),
    ]);
    const aliceSocket = await connect(one, alice.token);
    const bobSocket = await connect(two, bob.token);
    const carolSocket = await connect(two, carol.token);
    const ack = (await emit(aliceSocket, 'create_room', {
      participants: [bob.id, carol.id],
      ...(name !== undefined && { name }),
    })) as any;
    expect(ack.status).toBe('success');
    return {
      alice,
      bob,
      carol,
      room: ack.room as RoomResponse,
      aliceSocket,
      bobSocket,
      carolSocket,
      aliceInbox: new Inbox(aliceSocket),
      bobInbox: new Inbox(bobSocket),
      carolInbox: new Inbox(carolSocket),
    };
  }

  describe('names', () => {
    it('names a group room (trimmed) on every room object; a direct room has name: null', async () => {
      const { alice, bob, room, bobInbox } = await group('  Weekend plans  ');
      expect(room.name).toBe('Weekend plans');
      expect((await bobInbox.waitFor('room_created')).room).toEqual(room);
      // GET adds the reader's state (§6): nothing read, nothing unread yet.
      const read = { lastReadSeq: 0, unreadCount: 0 };
      const listed = await request(two).get('/rooms').set(auth(bob)).expect(200);
      expect(listed.body).toEqual([{ ...room, ...read }]);
      expect((await request(one).get(`/rooms/${room.id}`).set(auth(alice)).expect(200)).body).toEqual({
        ...room,
        ...read,
      });
      const direct = await createRoom(one, alice, [bob]);
      expect(direct.name).toBeNull();
      const unnamed = await createRoom(one, alice, [bob, await createUser(one)]);
      expect(unnamed.name).toBeNull();
    });

    it.each([
      ['a name for a direct room', 'direct', 'Us two'],
      ['a blank name', 'group', '   '],
      ['a name of 101 characters', 'group', 'n'.repeat(101)],
      ['a name that is not a string', 'group', 42],
    ])('refuses %s with validation_failed, creating nothing', async (_, kind, name) => {
      const [alice, bob, carol] = await Promise.all([createUser(one), createUser(two), createUser(one)]);
      const participants = kind === 'direct' ? [bob.id] : [bob.id, carol.id];
      const socket = await connect(one, alice.token);
      expect(await emit(socket, 'create_room', { participants, name })).toEqual(
        errorAck('validation_failed'),
      );
      await request(two).post('/rooms').set(auth(alice)).send({ participants, name }).expect(400);
      expect((await request(one).get('/rooms').set(auth(alice)).expect(200)).body).toEqual([]);
    });

    it('accepts a name of 100 characters', async () => {
      const { room } = await group('n'.repeat(100));
      expect(room.name).toHaveLength(100);
    });
  });

  describe('add_participants', () => {
    it('adds people, tells everyone (the new ones included) with room, added and by, and starts their read marker at the last seq', async () => {
      const { alice, bob, carol, room, aliceInbox, bobInbox, bobSocket } = await group('Team');
      await postMessage(one, alice, room.id, 'first');
      await postMessage(two, bob, room.id, 'second');
      const dave = await createUser(two, 'Dave');
      const daveInbox = new Inbox(await connect(one, dave.token));
      const ack = (await emit(bobSocket, 'add_participants', {
        roomId: room.id,
        participants: [dave.id, carol.id],
      })) as any;
      expect(ack.status).toBe('success');
      expect(ids(ack.room)).toEqual([alice.id, bob.id, carol.id, dave.id].sort());
      expect(ack.room).toMatchObject({ id: room.id, name: 'Team', lastMessage: { content: 'second' } });
      const event = {
        type: 'participants_added',
        room: ack.room,
        added: [{ id: dave.id, name: 'Dave' }],
        by: bob.id,
      };
      expect(await daveInbox.waitFor('participants_added')).toEqual(event);
      expect(await aliceInbox.waitFor('participants_added')).toEqual(event);
      expect(await bobInbox.waitFor('participants_added')).toEqual(event);
      expect(await readMarker(room.id, dave.id)).toBe(2);
      expect(await readMarker(room.id, carol.id)).toBe(0);
      // The whole history, and every later message.
      expect((await history(two, dave, room.id)).map((m) => m.content)).toEqual(['first', 'second']);
      const later = await postMessage(two, alice, room.id, 'welcome');
      expect((await daveInbox.waitFor('message_created')).message).toEqual(later);
    });

    it('works over HTTP, answers the room unchanged when everyone is present already, broadcasting nothing', async () => {
      const { alice, bob, carol, room, carolInbox } = await group();
      const dave = await createUser(one, 'Dave');
      const added = await request(two)
        .post(`/rooms/${room.id}/participants`)
        .set(auth(carol))
        .send({ participants: [dave.id] })
        .expect(200);
      expect(ids(added.body)).toEqual([alice.id, bob.id, carol.id, dave.id].sort());
      await carolInbox.waitFor('participants_added');
      const again = await request(one)
        .post(`/rooms/${room.id}/participants`)
        .set(auth(alice))
        .send({ participants: [dave.id, bob.id] })
        .expect(200);
      expect(again.body).toEqual(added.body);
      await sleep(200);
      expect(carolInbox.of('participants_added')).toHaveLength(1);
    });

    it('refuses bad adds with a clear error, changing nothing', async () => {
      const { alice, bob, room, aliceSocket, bobInbox } = await group();
      const eve = await createUser(one, 'Eve');
      const direct = await createRoom(one, alice, [eve]);
      const ninetySeven = await Promise.all(Array.from({ length: 97 }, () => createUser(two)));
      const cases: [object, string, number][] = [
        [{ roomId: room.id, participants: ['user_unknown'] }, 'not_found', 404],
        [{ roomId: direct.id, participants: [bob.id] }, 'forbidden', 403],
        [
          { roomId: room.id, participants: [...ninetySeven.map((u) => u.id), eve.id] },
          'validation_failed',
          400,
        ],
        [{ roomId: room.id, participants: [] }, 'validation_failed', 400],
        [{ roomId: room.id, participants: [eve.id, eve.id] }, 'validation_failed', 400],
        [{ roomId: 'room_unknown', participants: [eve.id] }, 'not_found', 404],
      ];
      for (const [payload, code, status] of cases) {
        expect(await emit(aliceSocket, 'add_participants', payload)).toEqual(errorAck(code));
        const { roomId, ...body } = payload as { roomId: string };
        await request(two).post(`/rooms/${roomId}/participants`).set(auth(alice)).send(body).expect(status);
      }
      // Not a participant: neither over a socket nor over HTTP.
      const eveSocket = await connect(two, eve.token);
      expect(await emit(eveSocket, 'add_participants', { roomId: room.id, participants: [eve.id] })).toEqual(
        errorAck('forbidden'),
      );
      await request(one)
        .post(`/rooms/${room.id}/participants`)
        .set(auth(eve))
        .send({ participants: [eve.id] })
        .expect(403);
      const unchanged = { lastReadSeq: 0, unreadCount: 0 }; // and nothing read or sent
      expect((await request(one).get(`/rooms/${room.id}`).set(auth(alice)).expect(200)).body).toEqual({
        ...room,
        ...unchanged,
      });
      expect((await request(one).get(`/rooms/${direct.id}`).set(auth(alice)).expect(200)).body).toEqual({
        ...direct,
        ...unchanged,
      });
      await sleep(100);
      expect(bobInbox.of('participants_added')).toHaveLength(0);
    });

    it('lets a room grow to exactly 100 people and no further', async () => {
      const { alice, room, aliceSocket } = await group();
      const more = await Promise.all(Array.from({ length: 97 }, () => createUser(two)));
      const full = (await emit(aliceSocket, 'add_participants', {
        roomId: room.id,
        participants: more.map((u) => u.id),
      })) as any;
      expect(full.room.participants).toHaveLength(100);
      const extra = await createUser(one);
      await request(one)
        .post(`/rooms/${room.id}/participants`)
        .set(auth(alice))
        .send({ participants: [extra.id] })
        .expect(400);
    });
  });

  describe('leave_room', () => {
    it('tells those who remain and the leaver’s own sockets; the leaver then hears nothing and gets 403', async () => {
      const { alice, bob, carol, room, aliceInbox, bobInbox, carolInbox, carolSocket } = await group('Trio');
      const carolElsewhere = new Inbox(await connect(one, carol.token));
      const before = await postMessage(one, alice, room.id, 'before');
      const ack = (await emit(carolSocket, 'leave_room', { roomId: room.id })) as any;
      expect(ack.status).toBe('success');
      expect(ids(ack.room)).toEqual([alice.id, bob.id].sort());
      const event = { type: 'participant_left', roomId: room.id, userId: carol.id };
      for (const inbox of [aliceInbox, bobInbox, carolInbox, carolElsewhere]) {
        expect(await inbox.waitFor('participant_left')).toEqual(event);
      }
      const after = await postMessage(two, bob, room.id, 'after');
      await aliceInbox.waitFor('message_created', (e) => e.message.messageId === after.messageId);
      await sleep(200);
      const heard = [...carolInbox.of('message_created'), ...carolElsewhere.of('message_created')];
      expect(heard.map((e) => e.message.messageId)).not.toContain(after.messageId);
      expect(before.seq).toBe(1);
      // 403 on its history, the feed, the room and every action, on both instances.
      for (const url of [one, two]) {
        await request(url).get(`/rooms/${room.id}/messages`).set(auth(carol)).expect(403);
        await request(url).get(`/rooms/${room.id}/changes`).set(auth(carol)).expect(403);
        await request(url).get(`/rooms/${room.id}`).set(auth(carol)).expect(403);
        await request(url)
          .post(`/rooms/${room.id}/messages`)
          .set(auth(carol))
          .send({ messageId: 'late', content: 'x' })
          .expect(403);
        await request(url).delete(`/rooms/${room.id}/participants/me`).set(auth(carol)).expect(403);
      }
      expect(await emit(carolSocket, 'delete_message', { roomId: room.id, messageId: 'late' })).toEqual(
        errorAck('forbidden'),
      );
      expect((await request(one).get('/rooms').set(auth(carol)).expect(200)).body).toEqual([]);
      expect((await changes(one, alice, room.id)).rev).toBe(2);
    });

    it('works over HTTP (DELETE /rooms/:roomId/participants/me), and refuses a direct room', async () => {
      const { alice, bob, room, bobInbox } = await group();
      const left = await request(one)
        .delete(`/rooms/${room.id}/participants/me`)
        .set(auth(alice))
        .expect(200);
      expect(left.body.participants.map((p: { id: string }) => p.id)).not.toContain(alice.id);
      await bobInbox.waitFor('participant_left');
      const direct = await createRoom(one, alice, [bob]);
      await request(two).delete(`/rooms/${direct.id}/participants/me`).set(auth(bob)).expect(403);
      const socket = await connect(one, alice.token);
      expect(await emit(socket, 'leave_room', { roomId: direct.id })).toEqual(errorAck('forbidden'));
      expect(await emit(socket, 'leave_room', { roomId: 7 })).toEqual(errorAck('validation_failed'));
      expect(ids((await request(one).get(`/rooms/${direct.id}`).set(auth(alice)).expect(200)).body)).toEqual(
        [alice.id, bob.id].sort(),
      );
    });

    it('lets someone who left be added again, reading the whole history', async () => {
      const { alice, carol, room, carolSocket, aliceSocket } = await group();
      await postMessage(one, alice, room.id, 'one');
      await emit(carolSocket, 'leave_room', { roomId: room.id });
      await postMessage(one, alice, room.id, 'two');
      const back = (await emit(aliceSocket, 'add_participants', {
        roomId: room.id,
        participants: [carol.id],
      })) as any;
      expect(back.status).toBe('success');
      expect((await history(two, carol, room.id)).map((m) => m.content)).toEqual(['one', 'two']);
      expect(await readMarker(room.id, carol.id)).toBe(2);
    });
  });
});
