import request from 'supertest';
import { createRoom, postMessage } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox } from './setup/sockets.js';

describe('rooms over HTTP', () => {
  let instances: Instance[];
  let one: string;
  let two: string;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    instances = await startInstances(2);
    [one, two] = instances.map((i) => i.url);
    [alice, bob, carol] = await Promise.all([
      createUser(one, 'Alice'),
      createUser(one, 'Bob'),
      createUser(two, 'Carol'),
    ]);
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  describe('POST /rooms', () => {
    it('answers 201 with a new room and broadcasts room_created to sockets on both instances', async () => {
      const bobInbox = new Inbox(await connect(two, bob.token));
      const response = await request(one)
        .post('/rooms')
        .set(auth(alice))
        .send({ participants: [bob.id] })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^room_/),
        participants: [
          { id: alice.id, name: 'Alice' },
          { id: bob.id, name: 'Bob' },
        ],
        createdAt: expect.any(String),
        lastMessage: null,
        name: null,
      });
      const event = await bobInbox.waitFor('room_created', (e) => e.room.id === response.body.id);
      expect(event).toEqual({ type: 'room_created', room: response.body });
    });

    it('answers 200 with the existing direct room, whoever asks', async () => {
      const first = await request(one)
        .post('/rooms')
        .set(auth(alice))
        .send({ participants: [carol.id] })
        .expect(201);
      const again = await request(two)
        .post('/rooms')
        .set(auth(carol))
        .send({ participants: [alice.id] })
        .expect(200);
      expect(again.body).toEqual(first.body);
    });

    it.each([
      ['a missing participants field', {}, 400],
      ['only the caller', 'self', 400],
      ['an unknown user', { participants: ['user_unknown'] }, 404],
      ['an unknown field', { participants: ['user_unknown'], topic: 'x' }, 400],
    ])('refuses %s', async (_, raw, status) => {
      const body = raw === 'self' ? { participants: [alice.id] } : raw;
      const response = await request(one).post('/rooms').set(auth(alice)).send(body).expect(status);
      expect(response.body).toMatchObject({
        statusCode: status,
        message: expect.anything(),
        error: expect.any(String),
      });
    });

    it('needs a token', async () => {
      await request(one)
        .post('/rooms')
        .send({ participants: [bob.id] })
        .expect(401);
    });
  });

  describe('GET /rooms and GET /rooms/:roomId', () => {
    it('lists the caller’s rooms by latest activity, with the last message', async () => {
      const dave = await createUser(one, 'Dave');
      const older = await createRoom(one, dave, [alice]);
      const newer = await createRoom(one, dave, [bob, carol]);
      const message = await postMessage(two, alice, older.id, 'bump');

      const response = await request(two).get('/rooms').set(auth(dave)).expect(200);
      expect(response.body.map((r: { id: string }) => r.id)).toEqual([older.id, newer.id]);
      expect(response.body[0].lastMessage).toEqual(message);
      expect(response.body[1].lastMessage).toBeNull();
    });

    it('shows one room to its participants, 403 to others, 404 when unknown', async () => {
      const room = await createRoom(one, alice, [bob]);
      const seen = await request(two).get(`/rooms/${room.id}`).set(auth(bob)).expect(200);
      expect(seen.body).toEqual({ ...room, lastReadSeq: 0, unreadCount: 0 }); // §6 adds the reader’s state
      await request(one).get(`/rooms/${room.id}`).set(auth(carol)).expect(403);
      await request(one).get('/rooms/room_unknown').set(auth(carol)).expect(404);
    });

    it('pages the rooms by activity with a Link to the next page; a room untouched while paging comes once (§11)', async () => {
      const erin = await createUser(one, 'Erin');
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        created.push((await createRoom(one, erin, [await createUser(two, `Pal ${i}`)])).id);
      }
      const byActivity = [...created].reverse(); // no messages: the newest room is the most recent activity
      const seen: string[] = [];
      let next: string | undefined = '/rooms?limit=3';
      const pages: number[] = [];
      while (next) {
        const page: request.Response = await request(two).get(next).set(auth(erin)).expect(200);
        pages.push(page.body.length);
        seen.push(...page.body.map((r: { id: string }) => r.id));
        if (pages.length === 1) {
          // A message in a room already seen moves it ahead of the cursor: the
          // client learns of it from the live event, and nothing else is skipped.
          await postMessage(one, erin, byActivity[0], 'bump');
        }
        next = /^<([^>]+)>; rel="next"$/.exec(page.headers.link ?? '')?.[1];
      }
      expect(pages).toEqual([3, 3, 1]);
      expect(seen).toEqual(byActivity);
    });

    it.each([
      ['limit=0', 400],
      ['limit=201', 400],
      ['limit=ten', 400],
      ['after=not-a-cursor', 400],
      ['after=' + Buffer.from('2026-01-01T00:00:00.000000Z room;x').toString('base64url'), 400],
      // The cursor's shape, but no date Postgres takes.
      ['after=' + Buffer.from('2026-13-45T99:00:00.000000Z room_x').toString('base64url'), 400],
    ])('refuses GET /rooms?%s', async (query, status) => {
      await request(one).get(`/rooms?${query}`).set(auth(alice)).expect(status);
    });
  });
});
