import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { history } from './factories/rooms.js';
import { createUser } from './factories/users.js';
import { embeddedEnv, startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox, request as emit } from './setup/sockets.js';

describe('embedded single-instance mode (PGlite, in-process broadcasts)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-embedded-'));
  let instance: Instance[] = [];

  afterAll(async () => {
    closeAllClients();
    await stopInstances(instance);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the contract with no services, and keeps data and tokens across a restart', async () => {
    instance = await startInstances(1, embeddedEnv(dataDir));
    expect(readdirSync(dataDir).sort()).toEqual(['auth-secret', 'pg']);
    const url = instance[0].url;
    const [alice, bob] = await Promise.all([createUser(url, 'Alice'), createUser(url, 'Bob')]);
    const [aliceSocket, bobSocket] = await Promise.all([connect(url, alice.token), connect(url, bob.token)]);
    const bobInbox = new Inbox(bobSocket);

    const room = (await emit(aliceSocket, 'create_room', { participants: [bob.id] })) as any;
    expect(room.status).toBe('success');
    await bobInbox.waitFor('room_created');
    const sent = await Promise.all(
      [1, 2, 3].map(
        (i) =>
          emit(aliceSocket, 'create_message', {
            roomId: room.room.id,
            messageId: randomUUID(),
            content: `m${i}`,
          }) as any,
      ),
    );
    expect(sent.map((a) => a.message.seq).sort()).toEqual([1, 2, 3]);
    await bobInbox.waitFor('message_created', (e) => e.message.seq === 3);
    // Replays and conflicts hinge on the embedded driver's unique-violation error.
    const [first] = sent;
    const sameId = { roomId: room.room.id, messageId: first.message.messageId };
    expect(await emit(aliceSocket, 'create_message', { ...sameId, content: first.message.content })).toEqual(
      first,
    );
    const reused = (await emit(aliceSocket, 'create_message', { ...sameId, content: 'other' })) as any;
    expect(reused.error.code).toBe('conflict');

    closeAllClients();
    await stopInstances(instance);
    instance = await startInstances(1, embeddedEnv(dataDir));
    const again = instance[0].url;
    const kept = await history(again, bob, room.room.id);
    expect(kept.map((m) => m.content)).toEqual(['m1', 'm2', 'm3']);
    await request(again).get('/health/ready').expect(200);
  }, 90_000); // starts the embedded Postgres twice, with every migration the first time
});
