import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createRoom, history } from './factories/rooms.js';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox, request as act, type ChatClient } from './setup/sockets.js';

// Frames are written to the transport pre-encoded, as an attacker's client
// would: socket.io-client's own encoder cannot even serialise deep nesting,
// and encoding 30,000 numbers per frame in this process would load the same
// event loop as the server under test.
const FRAME_CHARS = 60 * 1024;
const manyNumbers = `[${new Array<number>(FRAME_CHARS / 2 - 2).fill(0).join(',')}]`;
const deeplyNested = '['.repeat(FRAME_CHARS / 2 - 200) + ']'.repeat(FRAME_CHARS / 2 - 200);

/**
 * A Socket.IO EVENT packet (type 2; the engine adds its own message prefix)
 * without an ack id, so a failure comes back as `exception`.
 */
const rawEvent = (action: string, fields: Record<string, string>) =>
  `2["${action}",{${Object.entries(fields)
    .map(([key, json]) => `"${key}":${json}`)
    .join(',')}}]`;

const send = (socket: ChatClient, frame: string) => socket.io.engine.send(frame);

async function timedSend(socket: ChatClient, content: string): Promise<number> {
  const started = performance.now();
  const ack = (await act(socket, 'create_message', {
    roomId: currentRoom,
    messageId: randomUUID(),
    content,
  })) as any;
  expect(ack.error).toBeUndefined();
  return performance.now() - started;
}

async function quietBaseline(socket: ChatClient): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < 30; i++) {
    latencies.push(await timedSend(socket, `quiet ${i}`));
  }
  return latencies;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

let currentRoom = '';

// §5: no single client, however it shapes its payloads, can stall an instance for others.
describe('a hostile client', () => {
  let instances: Instance[];
  let url: string;
  let mallory: TestUser;
  let alice: TestUser;
  let roomId: string;

  const worstCaseFrames = () => {
    const room = JSON.stringify(roomId);
    const id = () => JSON.stringify(randomUUID());
    return [
      rawEvent('create_room', { participants: manyNumbers }),
      rawEvent('create_room', { participants: deeplyNested }),
      rawEvent('create_message', { roomId: room, messageId: id(), content: '"x"', createdAt: deeplyNested }),
      rawEvent('create_message', { roomId: room, messageId: id(), content: '"x"', createdAt: manyNumbers }),
      rawEvent('mark_read', { roomId: room, seq: manyNumbers }),
      rawEvent('typing', { roomId: room, typing: deeplyNested }),
    ];
  };

  beforeAll(async () => {
    instances = await startInstances(1, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    url = instances[0].url;
    [mallory, alice] = await Promise.all([createUser(url, 'Mallory'), createUser(url, 'Alice')]);
    const bob = await createUser(url, 'Bob');
    roomId = (await createRoom(url, alice, [bob, mallory])).id;
    currentRoom = roomId;
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('refuses deep nesting and huge arrays in any field, over sockets and HTTP, storing nothing', async () => {
    const socket = await connect(url, mallory.token);
    const inbox = new Inbox(socket);
    const frames = worstCaseFrames();
    frames.forEach((frame) => send(socket, frame));
    await inbox.waitFor('exception', () => inbox.of('exception').length === frames.length);
    expect(inbox.of('exception').map((e) => [e.action, e.code])).toEqual([
      ['create_room', 'validation_failed'],
      ['create_room', 'validation_failed'],
      ['create_message', 'validation_failed'],
      ['create_message', 'validation_failed'],
      ['mark_read', 'validation_failed'],
      ['typing', 'validation_failed'],
    ]);
    expect(socket.connected).toBe(true);
    const response = await request(url)
      .post(`/rooms/${roomId}/messages`)
      .set(auth(mallory))
      .set('Content-Type', 'application/json')
      .send(`{"messageId":"m1","content":"x","createdAt":${deeplyNested}}`)
      .expect(400);
    expect(response.body).toEqual({
      statusCode: 400,
      message: ['payload must not nest deeper than 8 levels'],
      error: 'Bad Request',
    });
    expect(await history(url, alice, roomId)).toEqual([]);
  });

  it("keeps another user's acks fast while one socket floods worst-case frames of every action", async () => {
    const flooder = await connect(url, mallory.token);
    const answered = new Inbox(flooder);
    const aliceSocket = await connect(url, alice.token);
    let flooding = true;
    const flood = (async () => {
      let sent = 0;
      while (flooding) {
        // 20 frames in flight at a time, as in the reported attack.
        const frames = Array.from({ length: 20 }, (_, i) => worstCaseFrames()[i % 6]);
        frames.forEach((frame) => send(flooder, frame));
        sent += frames.length;
        await answered.waitFor('exception', () => answered.of('exception').length === sent, 30_000);
      }
      return sent;
    })();
    const latencies: number[] = [];
    for (let i = 0; i < 30; i++) {
      latencies.push(await timedSend(aliceSocket, `fine ${i}`));
    }
    flooding = false;
    const framesSent = await flood;
    const quiet = await quietBaseline(aliceSocket);
    const [median, worst] = [percentile(latencies, 50), percentile(latencies, 100)];
    console.log(
      `hostile flood: ${framesSent} worst-case 60 KiB frames answered; meanwhile another user's ` +
        `create_message ack took ${median.toFixed(0)} ms (median), ${worst.toFixed(0)} ms (worst) of 30; ` +
        `without the flood, in the same run: ${percentile(quiet, 50).toFixed(0)} ms (median)`,
    );
    // Generous, for a loaded machine: before the shape bound the same flood
    // held these acks 2.5–4 s each (median), and frames with deep nesting
    // were never answered at all.
    expect(median).toBeLessThan(1_500);
  });
});
