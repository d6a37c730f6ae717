import { randomUUID } from 'node:crypto';
import { createRoom, history } from './factories/rooms.js';
import { createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import {
  closeAllClients,
  connect,
  errorAck,
  Inbox,
  request,
  sleep,
  type ChatClient,
} from './setup/sockets.js';

describe('realtime delivery across two instances', () => {
  let instances: Instance[];
  let one: string;
  let two: string;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let aliceSocket: ChatClient;
  let bobSocket: ChatClient;
  let eveSocket: ChatClient;
  let aliceInbox: Inbox;
  let bobInbox: Inbox;
  let eveInbox: Inbox;

  beforeAll(async () => {
    instances = await startInstances(2);
    [one, two] = instances.map((i) => i.url);
    [alice, bob, eve] = await Promise.all([
      createUser(one, 'Alice'),
      createUser(two, 'Bob'),
      createUser(one, 'Eve'),
    ]);
    aliceSocket = await connect(one, alice.token);
    bobSocket = await connect(two, bob.token);
    eveSocket = await connect(two, eve.token);
    aliceInbox = new Inbox(aliceSocket);
    bobInbox = new Inbox(bobSocket);
    eveInbox = new Inbox(eveSocket);
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  describe('the handshake', () => {
    it.each([
      ['no token', undefined],
      ['a garbled token', 'garbage'],
      ['a tampered token', 'user_x.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ])('refuses %s with connect_error "unauthorized"', async (_, token) => {
      await expect(connect(one, token)).rejects.toThrow('unauthorized');
    });

    it('refuses a browser origin that is not on the allow-list, and accepts one that is', async () => {
      await expect(
        connect(one, alice.token, { extraHeaders: { Origin: 'http://evil.example' } }),
      ).rejects.toThrow();
      const allowed = await connect(one, alice.token, { extraHeaders: { Origin: 'http://allowed.example' } });
      expect(allowed.connected).toBe(true);
      allowed.disconnect();
    });
  });

  describe('create_room', () => {
    it('broadcasts room_created in seed shape to every participant on both instances, and nobody else', async () => {
      const ack = await request(aliceSocket, 'create_room', {
        action: 'create_room',
        participants: [alice.id, bob.id],
      });
      expect(ack).toEqual({
        status: 'success',
        room: {
          id: expect.stringMatching(/^room_/),
          participants: [
            { id: alice.id, name: 'Alice' },
            { id: bob.id, name: 'Bob' },
          ],
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          lastMessage: null,
          name: null,
        },
      });
      const roomId = (ack as any).room.id;
      const expected = { type: 'room_created', room: (ack as any).room };
      expect(await aliceInbox.waitFor('room_created', (e) => e.room.id === roomId)).toEqual(expected);
      expect(await bobInbox.waitFor('room_created', (e) => e.room.id === roomId)).toEqual(expected);
      await sleep(200);
      expect(eveInbox.of('room_created').filter((e) => e.room.id === roomId)).toHaveLength(0);
    });

    it('returns the existing direct room to either side, without a second broadcast', async () => {
      const first = (await request(aliceSocket, 'create_room', { participants: [eve.id] })) as any;
      const again = (await request(eveSocket, 'create_room', { participants: [alice.id, eve.id] })) as any;
      expect(again).toEqual(first);
      await sleep(200);
      expect(aliceInbox.of('room_created').filter((e) => e.room.id === first.room.id)).toHaveLength(1);
    });

    it('makes one direct room when both people ask at the same moment on different instances', async () => {
      const [x, y] = await Promise.all([createUser(one), createUser(two)]);
      const [xs, ys] = await Promise.all([connect(one, x.token), connect(two, y.token)]);
      const acks = (await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(i % 2 ? xs : ys, 'create_room', { participants: [x.id, y.id] }),
        ),
      )) as any[];
      expect(new Set(acks.map((a) => a.room.id)).size).toBe(1);
    });

    it('adds the caller and makes group rooms (never unique)', async () => {
      const a = (await request(aliceSocket, 'create_room', { participants: [bob.id, eve.id] })) as any;
      const b = (await request(aliceSocket, 'create_room', { participants: [bob.id, eve.id] })) as any;
      expect(a.room.participants.map((p: any) => p.id).sort()).toEqual([alice.id, bob.id, eve.id].sort());
      expect(a.room.id).not.toBe(b.room.id);
    });

    it.each([
      ['no participants besides the caller', { participants: [] }, 'validation_failed'],
      ['only the caller', 'self', 'validation_failed'],
      ['a repeated user', 'repeat', 'validation_failed'],
      ['participants that is not an array', { participants: 'user_1' }, 'validation_failed'],
      ['a participant that is not a string', { participants: [1] }, 'validation_failed'],
      [
        'more than 100 participants',
        { participants: Array.from({ length: 101 }, (_, i) => `user_${i}`) },
        'validation_failed',
      ],
      ['an unknown user', { participants: ['user_doesnotexist'] }, 'not_found'],
      ['an unknown field', 'extra', 'validation_failed'],
      ['a mismatched action field', 'action', 'validation_failed'],
      ['a null payload', null, 'validation_failed'],
      ['an array payload', [1, 2], 'validation_failed'],
    ])('answers %s with an error ack and stores nothing', async (_, raw, code) => {
      const payload =
        raw === 'self'
          ? { participants: [alice.id] }
          : raw === 'repeat'
            ? { participants: [bob.id, bob.id] }
            : raw === 'extra'
              ? { participants: [bob.id], admin: true }
              : raw === 'action'
                ? { action: 'create_message', participants: [bob.id] }
                : raw;
      const roomsBefore = aliceInbox.of('room_created').length;
      const ack = (await request(aliceSocket, 'create_room', payload)) as any;
      expect(ack).toEqual(errorAck(code));
      await sleep(50);
      expect(aliceInbox.of('room_created')).toHaveLength(roomsBefore);
      expect(aliceSocket.connected).toBe(true);
    });
  });

  describe('create_message', () => {
    let roomId: string;

    beforeAll(async () => {
      roomId = (await createRoom(one, alice, [bob])).id;
    });

    it('delivers both ways between instances, in seed shape with seq, to the sender too', async () => {
      const fromAlice = randomUUID();
      const ack = (await request(aliceSocket, 'create_message', {
        action: 'create_message',
        roomId,
        messageId: fromAlice,
        content: 'How are you?',
        senderId: alice.id,
        createdAt: '2024-06-16T12:36:10.000Z',
      })) as any;
      const message = {
        roomId,
        messageId: fromAlice,
        content: 'How are you?',
        senderId: alice.id,
        createdAt: expect.any(String),
        status: 'success',
        seq: 1,
        rev: 1,
        editedAt: null,
        deletedAt: null,
      };
      expect(ack).toEqual({ status: 'success', message });
      expect(ack.message.createdAt).not.toBe('2024-06-16T12:36:10.000Z');
      const event = { type: 'message_created', message: ack.message };
      expect(await bobInbox.waitFor('message_created', (e) => e.message.messageId === fromAlice)).toEqual(
        event,
      );
      expect(await aliceInbox.waitFor('message_created', (e) => e.message.messageId === fromAlice)).toEqual(
        event,
      );

      const fromBob = randomUUID();
      const reply = (await request(bobSocket, 'create_message', {
        roomId,
        messageId: fromBob,
        content: 'Fine!',
      })) as any;
      expect(reply.message.seq).toBe(2);
      await aliceInbox.waitFor('message_created', (e) => e.message.messageId === fromBob);
      await sleep(200);
      expect(eveInbox.of('message_created').filter((e) => e.message.roomId === roomId)).toHaveLength(0);
    });

    it('routes socket.send payloads by their action field', async () => {
      const messageId = randomUUID();
      const ack = (await request(bobSocket, 'message', {
        action: 'create_message',
        roomId,
        messageId,
        content: 'via send',
      })) as any;
      expect(ack.status).toBe('success');
      await aliceInbox.waitFor('message_created', (e) => e.message.messageId === messageId);
      // Only a name of the action table routes: not an unknown one, nor one every object inherits.
      for (const action of ['delete_room', 'toString', 'constructor', '__proto__', undefined]) {
        const bad = (await request(bobSocket, 'message', { action, roomId, messageId, content: 'x' })) as any;
        expect(bad.error.code).toBe('validation_failed');
        expect(bad.error.details).toEqual([
          'action must be one of: create_room, create_message, edit_message, delete_message, add_participants, leave_room, mark_read, typing',
        ]);
      }
      expect((await history(one, alice, roomId, '?limit=200')).map((m) => m.content)).not.toContain('x');
    });

    it('performs an action sent without an ack: stored and broadcast', async () => {
      const messageId = randomUUID();
      bobSocket.emit('create_message', { roomId, messageId, content: 'no callback' });
      await aliceInbox.waitFor('message_created', (e) => e.message.messageId === messageId);
      const stored = (await history(one, alice, roomId, '?limit=200')).filter(
        (m) => m.messageId === messageId,
      );
      expect(stored).toHaveLength(1);
    });

    it('emits exception to the caller alone when an action fails without an ack', async () => {
      bobSocket.emit('create_message', { roomId, messageId: 'bad id!', content: 'x' });
      const exception = await bobInbox.waitFor('exception');
      expect(exception).toEqual({
        action: 'create_message',
        code: 'validation_failed',
        message: expect.any(String),
        details: expect.any(Array),
      });
      expect(aliceInbox.of('exception')).toHaveLength(0);
      expect(bobSocket.connected).toBe(true);
    });

    it('is idempotent: 20 concurrent sends of one messageId over both instances store one message', async () => {
      const messageId = randomUUID();
      const payload = { roomId, messageId, content: 'only once' };
      const acks = (await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          request(i % 2 ? aliceSocket : aliceSocket2(), 'create_message', payload),
        ),
      )) as any[];
      expect(acks.every((a) => a.status === 'success')).toBe(true);
      expect(new Set(acks.map((a) => JSON.stringify(a.message))).size).toBe(1);
      const stored = (await history(two, bob, roomId, '?limit=200')).filter((m) => m.messageId === messageId);
      expect(stored).toHaveLength(1);
    });

    it('refuses to reuse a messageId in its room for different content or sender (conflict)', async () => {
      const messageId = randomUUID();
      await request(aliceSocket, 'create_message', { roomId, messageId, content: 'original' });
      const otherContent = (await request(aliceSocket, 'create_message', {
        roomId,
        messageId,
        content: 'changed',
      })) as any;
      const otherSender = (await request(bobSocket, 'create_message', {
        roomId,
        messageId,
        content: 'original',
      })) as any;
      expect(otherContent.error.code).toBe('conflict');
      expect(otherSender.error.code).toBe('conflict');
      const stored = (await history(one, alice, roomId, '?limit=200')).filter(
        (m) => m.messageId === messageId,
      );
      expect(stored.map((m) => m.content)).toEqual(['original']);
    });

    it('stores one messageId sent at the same moment to two rooms as two messages, and leaks neither', async () => {
      const messageId = randomUUID();
      const otherRoom = ((await request(eveSocket, 'create_room', { participants: [bob.id] })) as any).room
        .id;
      const [mine, theirs] = (await Promise.all([
        request(aliceSocket, 'create_message', { roomId, messageId, content: 'for alice and bob' }),
        request(eveSocket, 'create_message', { roomId: otherRoom, messageId, content: 'for eve and bob' }),
      ])) as any[];
      expect([mine.status, theirs.status]).toEqual(['success', 'success']);
      expect(mine.message).toMatchObject({ roomId, content: 'for alice and bob' });
      expect(theirs.message).toMatchObject({ roomId: otherRoom, content: 'for eve and bob', seq: 1 });
      expect(
        (await history(one, alice, roomId, '?limit=200')).filter((m) => m.messageId === messageId),
      ).toEqual([mine.message]);
      expect(await history(two, eve, otherRoom)).toEqual([theirs.message]);
      // Reusing it in either room conflicts there alone, and says nothing of the other room.
      const reused = (await request(eveSocket, 'create_message', {
        roomId: otherRoom,
        messageId,
        content: 'changed',
      })) as any;
      expect(reused.error).toEqual({ code: 'conflict', message: expect.not.stringContaining(roomId) });
      await sleep(200);
      const heardByAlice = aliceInbox.of('message_created').filter((e) => e.message.messageId === messageId);
      expect(heardByAlice.map((e) => e.message.roomId)).toEqual([roomId]);
      const heardByEve = eveInbox.of('message_created').filter((e) => e.message.messageId === messageId);
      expect(heardByEve.map((e) => e.message.roomId)).toEqual([otherRoom]);
    });

    it('answers conflict to the second of two different contents sent at once on one socket', async () => {
      const messageId = randomUUID();
      const [first, second] = (await Promise.all([
        request(aliceSocket, 'create_message', { roomId, messageId, content: 'one' }),
        request(aliceSocket, 'create_message', { roomId, messageId, content: 'two' }),
      ])) as any[];
      expect(first.status).toBe('success');
      expect(second.error.code).toBe('conflict');
    });

    it('answers forbidden for a spoofed senderId and for a room the caller is not in, not_found for an unknown room', async () => {
      const spoof = (await request(aliceSocket, 'create_message', {
        roomId,
        messageId: randomUUID(),
        content: 'x',
        senderId: bob.id,
      })) as any;
      const outsider = (await request(eveSocket, 'create_message', {
        roomId,
        messageId: randomUUID(),
        content: 'x',
      })) as any;
      const unknown = (await request(eveSocket, 'create_message', {
        roomId: 'room_nope',
        messageId: randomUUID(),
        content: 'x',
      })) as any;
      expect([spoof.error.code, outsider.error.code, unknown.error.code]).toEqual([
        'forbidden',
        'forbidden',
        'not_found',
      ]);
    });

    it.each([
      ['empty content', { content: '' }],
      ['whitespace-only content', { content: ' \n\t ' }],
      ['content over 4,000 characters', { content: 'x'.repeat(4001) }],
      ['content that is not a string', { content: 5 }],
      ['a NUL character', { content: 'a\u0000b' }],
      ['an unpaired surrogate', { content: 'broken \ud83d half' }],
      ['a messageId with bad characters', { messageId: 'no spaces' }],
      ['a messageId over 64 characters', { messageId: 'a'.repeat(65) }],
      ['a missing messageId', { messageId: undefined }],
      ['a roomId that is not a string', { roomId: 12 }],
      ['an unknown field', { pinned: true }],
    ])('answers %s with validation_failed and stores nothing', async (_, change) => {
      const before = await history(one, alice, roomId, '?limit=200');
      const payload = { roomId, messageId: randomUUID(), content: 'ok', ...change };
      const ack = (await request(aliceSocket, 'create_message', payload)) as any;
      expect(ack.status).toBe('error');
      expect(ack.error.code).toBe('validation_failed');
      expect(await history(one, alice, roomId, '?limit=200')).toEqual(before);
    });

    it('accepts exactly 4,000 characters, and stores emoji, HTML and SQL verbatim', async () => {
      for (const content of [
        'x'.repeat(4000),
        '👋🏽 héllo',
        '<img src=x onerror=alert(1)>',
        "'; DROP TABLE messages; --",
      ]) {
        const ack = (await request(aliceSocket, 'create_message', {
          roomId,
          messageId: randomUUID(),
          content,
        })) as any;
        expect(ack.message.content).toBe(content);
        const [last] = await history(two, bob, roomId, '?limit=1');
        expect(last.content).toBe(content);
      }
    });

    it('refuses a frame over 64 KiB at the transport and keeps serving everyone else', async () => {
      const big = await connect(one, alice.token);
      const closed = new Promise((resolve) => big.once('disconnect', resolve));
      const messageId = randomUUID();
      big.emit('create_message', { roomId, messageId, content: 'x'.repeat(70 * 1024) });
      await closed;
      const stored = (await history(one, alice, roomId, '?limit=200')).filter(
        (m) => m.messageId === messageId,
      );
      expect(stored).toHaveLength(0);
      const ok = (await request(aliceSocket, 'create_message', {
        roomId,
        messageId: randomUUID(),
        content: 'still here',
      })) as any;
      expect(ok.status).toBe('success');
    });

    let second: ChatClient | undefined;
    function aliceSocket2(): ChatClient {
      return second!;
    }
    beforeAll(async () => {
      second = await connect(two, alice.token);
    });
  });
});
