import { randomUUID } from 'node:crypto';
import { startCluster, type Cluster } from '../../scripts/cluster.js';
import { startRedisCluster, type LocalRedisCluster } from '../../scripts/redis-cluster.js';
import type { MessageResponse } from '../../src/messages/message.response.js';
import type { ActionAck } from '../../src/realtime/events.js';
import { createRoom } from '../factories/rooms.js';
import { createUser, type TestUser } from '../factories/users.js';
import { closeAllClients, connect, Inbox, sleep, type ChatClient } from '../setup/sockets.js';
import { affinityKeysPerInstance, clusterEnv, historyBackward, ProcessLog } from './helpers.js';

interface Sender {
  user: TestUser;
  roomId: string;
  socket: ChatClient;
  inbox: Inbox;
  partner: number;
}

/** Sends until acked with the same messageId (a retry of a stored message answers it again). */
async function sendUntilAcked(
  sender: Sender,
  content: string,
  giveUpMs = 20_000,
): Promise<MessageResponse | null> {
  const payload = { roomId: sender.roomId, messageId: randomUUID(), content };
  const deadline = Date.now() + giveUpMs;
  while (Date.now() < deadline) {
    try {
      const ack = (await sender.socket.timeout(3_000).emitWithAck('create_message', payload)) as ActionAck;
      if (ack.status === 'success') {
        return (ack as { message: MessageResponse }).message;
      }
    } catch {
      // no ack in time: retry
    }
    await sleep(200);
  }
  return null;
}

/**
 * The same service on a three-master Redis Cluster (sharded pub/sub,
 * hash-tagged rate limits and presence): one master is SIGKILLed while
 * four clients keep sending, then restarted. Nothing acked may be lost or
 * doubled, and live delivery across instances works afterwards.
 */
describe('on a Redis Cluster, with a master killed mid-run', () => {
  const processLog = new ProcessLog();
  let redis: LocalRedisCluster | undefined;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    redis = await startRedisCluster(3);
    cluster = await startCluster({
      instances: 3,
      port: 0,
      basePort: 0,
      env: clusterEnv({ REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '3000' }),
      log: processLog.push,
    });
  }, 60_000);

  afterAll(async () => {
    closeAllClients();
    await cluster?.stop();
    await redis?.stop();
  }, 60_000);

  it('loses and doubles no acked message, and delivers live again once the master is back', async () => {
    const lb = cluster!.lbUrl;
    const keys = await affinityKeysPerInstance(cluster!);
    const users = await Promise.all([0, 1, 2, 3].map((i) => createUser(lb, `sender ${i}`)));
    const rooms = [await createRoom(lb, users[0], [users[1]]), await createRoom(lb, users[2], [users[3]])];
    const senders: Sender[] = await Promise.all(
      users.map(async (user, i) => {
        const socket = await connect(lb, user.token, {
          query: { affinity: keys[i % 3] },
          reconnection: true,
          reconnectionDelay: 100,
        });
        return { user, roomId: rooms[i >> 1].id, socket, inbox: new Inbox(socket), partner: i ^ 1 };
      }),
    );
    const acked: MessageResponse[] = [];
    const notAcked: string[] = [];
    let sending = true;
    const loops = senders.map(async (sender, i) => {
      for (let n = 0; sending; n++) {
        const message = await sendUntilAcked(sender, `${i}#${n}`);
        if (message) {
          acked.push(message);
        } else {
          notAcked.push(`${i}#${n}`);
        }
        await sleep(200);
      }
    });
    try {
      await sleep(2_000);
      await redis!.nodes[0].kill();
      await sleep(3_000);
      await redis!.nodes[0].restart();
      await redis!.healthy();
      await sleep(2_000);
    } finally {
      sending = false;
      await Promise.all(loops);
    }

    // Live delivery across instances resumed.
    for (const sender of senders) {
      const message = await sendUntilAcked(sender, 'after the master came back');
      expect(message).not.toBeNull();
      await senders[sender.partner].inbox.waitFor(
        'message_created',
        (e) => e.message.messageId === message!.messageId,
        10_000,
      );
    }
    const stored = (
      await Promise.all([0, 2].map((i) => historyBackward(lb, senders[i].user, senders[i].roomId)))
    ).flat();
    const storedIds = new Set(stored.map((m) => `${m.roomId}/${m.messageId}`));
    console.log(
      `redis cluster: acked ${acked.length}, not acked ${notAcked.length}, stored ${stored.length}, ` +
        `heard live by the partner ${acked.filter((m) => senders.some((s) => s.inbox.of('message_created').some((e) => e.message.messageId === m.messageId && s.user.id !== m.senderId))).length}`,
    );
    expect(acked.filter((m) => !storedIds.has(`${m.roomId}/${m.messageId}`))).toEqual([]);
    expect(storedIds.size).toBe(stored.length);
    expect(notAcked).toEqual([]);
    expect(acked.length).toBeGreaterThan(20);
  }, 90_000);
});
