import request from 'supertest';
import type { MessageResponse } from '../src/messages/message.response.js';
import { changes, createRoom, postMessage } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients } from './setup/sockets.js';

describe('the change feed (§9)', () => {
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
    it('pages with since while writers on two instances change the room, never skipping or repeating a change', async () => {
      const [alice, bob] = await freshPair();
      const room = await createRoom(one, alice, [bob]);
      const total = 60;
      let writing = true;
      const writers = [one, two].map(async (url, w) => {
        for (let i = w; i < total; i += 2) {
          await postMessage(url, w ? bob : alice, room.id, `live ${i}`);
        }
      });
      const done = Promise.all(writers).finally(() => (writing = false));

      // A client that only ever keeps the highest rev it has seen.
      const seen: MessageResponse[] = [];
      let since = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await changes(since % 2 ? one : two, bob, room.id, `?since=${since}&limit=4`);
        for (const change of page.changes) {
          expect(change.rev).toBeGreaterThan(since);
          since = change.rev;
        }
        seen.push(...page.changes);
        expect(page.rev).toBeGreaterThanOrEqual(since);
        if (!stillWriting && page.changes.length === 0) {
          break;
        }
      }
      await done;
      // Only new messages here: each rev 1..n exactly once, in order.
      expect(seen.map((m) => m.rev)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(seen.map((m) => m.seq)).toEqual(seen.map((m) => m.rev));
    });
  });
});
