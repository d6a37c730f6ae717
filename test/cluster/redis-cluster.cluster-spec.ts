import { randomUUID } from 'node:crypto';
import type { Cluster } from '../../scripts/cluster.js';
import type { LocalRedisCluster } from '../../scripts/redis-cluster.js';
import type { MessageResponse } from '../../src/messages/message.response.js';
import type { ActionAck, ResyncEvent } from '../../src/realtime/events.js';
import { userShardChannel } from '../../src/redis/sharded-adapter.js';
import { createRoom } from '../factories/rooms.js';
import { createUser, type TestUser } from '../factories/users.js';
import { closeAllClients, connect, Inbox, sleep, type ChatClient } from '../setup/sockets.js';
import { affinityKeysPerInstance, historyBackward, ProcessLog, startOnRedisCluster } from './helpers.js';

/** Heard within this long of its ack: live, not held and sent later (the grace alone is 1.25 s). */
const LIVE_MS = 500;
/** Once the master's process answers again, everyone hears everything live again within this long. */
const RESUMED_WITHIN_MS = 5_000;

interface Sender {
  user: TestUser;
  roomId: string;
  socket: ChatClient;
  inbox: Inbox;
  partner: number;
  /** Whether this user's channel lives on the master that is killed. */
  onKilledShard: boolean;
}

interface Acked {
  message: MessageResponse;
  /** When the ack arrived (ms since the epoch). */
  at: number;
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
 * Six users in three direct rooms, picked by where their user channels
 * live: both on the master that will be killed, neither, and one of each;
 * each room's two users on different instances.
 */
async function usersByShard(
  lb: string,
  redis: LocalRedisCluster,
): Promise<{ user: TestUser; dead: boolean }[]> {
  const killed = redis.nodes[0];
  const dead: TestUser[] = [];
  const healthy: TestUser[] = [];
  while (dead.length < 3 || healthy.length < 3) {
    const user = await createUser(lb, `user ${dead.length + healthy.length}`);
    const node = await redis.nodeServing(userShardChannel(`user:${user.id}`));
    (node === killed ? dead : healthy).push(user);
  }
  return [
    { user: dead[0], dead: true },
    { user: dead[1], dead: true },
    { user: healthy[0], dead: false },
    { user: healthy[1], dead: false },
    { user: dead[2], dead: true },
    { user: healthy[2], dead: false },
  ];
}

/**
 * The same service on a three-master Redis Cluster (sharded pub/sub,
 * hash-tagged rate limits and presence): one master is SIGKILLed while six
 * clients keep sending, then restarted. Users whose channels live on the
 * other masters keep hearing every message live meanwhile; once the
 * master is back everyone does again within a few seconds; and nothing
 * acked is lost or doubled.
 */
describe('on a Redis Cluster, with a master killed mid-run', () => {
  const processLog = new ProcessLog();
  let redis: LocalRedisCluster | undefined;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    ({ redis, cluster } = await startOnRedisCluster(3, processLog.push));
  }, 60_000);

  afterAll(async () => {
    closeAllClients();
    await cluster?.stop();
    await redis?.stop();
  }, 60_000);

  it('keeps the healthy masters live through the loss of one, resumes everyone after, and loses or doubles nothing', async () => {
    const lb = cluster!.lbUrl;
    const keys = await affinityKeysPerInstance(cluster!);
    const picked = await usersByShard(lb, redis!);
    const rooms = await Promise.all(
      [0, 2, 4].map((i) => createRoom(lb, picked[i].user, [picked[i + 1].user])),
    );
    const senders: Sender[] = await Promise.all(
      picked.map(async ({ user, dead }, i) => {
        // Room k's users on instances k and k + 1: every delivery crosses Redis.
        const socket = await connect(lb, user.token, {
          query: { affinity: keys[((i >> 1) + (i & 1)) % 3] },
          reconnection: true,
          reconnectionDelay: 100,
        });
        const inbox = new Inbox(socket);
        return { user, roomId: rooms[i >> 1].id, socket, inbox, partner: i ^ 1, onKilledShard: dead };
      }),
    );
    const acked: Acked[] = [];
    const notAcked: string[] = [];
    let sending = true;
    const loops = senders.map(async (sender, i) => {
      for (let n = 0; sending; n++) {
        const message = await sendUntilAcked(sender, `${i}#${n}`);
        if (message) {
          acked.push({ message, at: Date.now() });
        } else {
          notAcked.push(`${i}#${n}`);
        }
        await sleep(200);
      }
    });
    let killedAt = 0;
    let restartedAt = 0;
    let backAt: number;
    try {
      await sleep(2_000);
      killedAt = Date.now();
      await redis!.nodes[0].kill();
      // Longer than the cluster's node timeout (2 s): the others mark it failed.
      await sleep(4_000);
      restartedAt = Date.now();
      await redis!.nodes[0].restart();
      await redis!.healthy();
      backAt = Date.now();
      await sleep(Math.max(0, restartedAt + RESUMED_WITHIN_MS - backAt) + 3_000);
    } finally {
      sending = false;
      await Promise.all(loops);
    }
    await sleep(LIVE_MS);

    const senderOf = (m: MessageResponse) => senders.find((s) => s.user.id === m.senderId)!;
    const receiverOf = (m: MessageResponse) => senders[senderOf(m).partner];
    /** When the partner first heard it live, if ever; and how many times. */
    const heard = ({ message }: Acked) => {
      const times = receiverOf(message)
        .inbox.received.filter(
          (r) => r.event === 'message_created' && r.data.message.messageId === message.messageId,
        )
        .map((r) => r.at);
      return { at: times[0] as number | undefined, times: times.length };
    };
    const live = (a: Acked) => {
      const { at } = heard(a);
      return at !== undefined && at - a.at <= LIVE_MS;
    };
    const resynced = ({ message }: Acked) =>
      receiverOf(message)
        .inbox.of('resync')
        .some((e: ResyncEvent) => e.rooms.some((r) => r.roomId === message.roomId && r.rev >= message.rev));

    // While the master was down: the users on the other masters heard every message live.
    const duringOutage = acked.filter((a) => a.at > killedAt && a.at < restartedAt);
    const toHealthy = duringOutage.filter((a) => !receiverOf(a.message).onKilledShard);
    const toKilled = duringOutage.filter((a) => receiverOf(a.message).onKilledShard);
    const latencies = toHealthy.map((a) => (heard(a).at ?? Infinity) - a.at);
    // The held ones reached the users on the dead master once it was back.
    const heldArrived = toKilled.map((a) => (heard(a).at ?? Infinity) - restartedAt);
    // Once it was back: from some point on, every message reached every user live.
    const resumedAfter = senders.map((receiver) => {
      const toThem = acked.filter((a) => a.at > killedAt && receiverOf(a.message) === receiver);
      const lastLate = toThem.filter((a) => !live(a)).at(-1);
      return lastLate ? Math.max(0, lastLate.at - restartedAt) : 0;
    });
    const afterResume = acked.filter((a) => a.at > restartedAt + RESUMED_WITHIN_MS);

    const stored = (
      await Promise.all(rooms.map((room, k) => historyBackward(lb, senders[2 * k].user, room.id)))
    ).flat();
    const storedIds = new Set(stored.map((m) => `${m.roomId}/${m.messageId}`));
    // Heard neither live nor late, and no resync named its room at or past it.
    const lost = acked.filter((a) => heard(a).at === undefined && !resynced(a));
    const heardTwice = acked.filter((a) => heard(a).times > 1).length;
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `redis cluster: master down ${seconds(restartedAt - killedAt)} s, cluster ok again ` +
        `${seconds(backAt - restartedAt)} s after its restart. While down: to users on the ` +
        `other masters ${toHealthy.filter(live).length}/${toHealthy.length} heard live ` +
        `(max ${Math.max(0, ...latencies)} ms after the ack); to users on the dead master ` +
        `${toKilled.filter((a) => heard(a).at !== undefined).length}/${toKilled.length} heard once it was back ` +
        `(${seconds(Math.min(...heldArrived))}–${seconds(Math.max(...heldArrived))} s after its restart), ` +
        `${toKilled.filter((a) => heard(a).at === undefined && resynced(a)).length} through a resync only. ` +
        `Every message acked from ${seconds(Math.max(...resumedAfter))} s after its restart on heard live ` +
        `(per user: ${resumedAfter.map(seconds).join(', ')}); ` +
        `after that ${afterResume.filter(live).length}/${afterResume.length} live. ` +
        `Acked ${acked.length}, not acked ${notAcked.length}, stored ${stored.length}, lost ${lost.length}, ` +
        `heard twice ${heardTwice}`,
    );

    expect(toHealthy.length).toBeGreaterThanOrEqual(8);
    expect(toHealthy.filter((a) => !live(a)).map((a) => a.message.content)).toEqual([]);
    expect(toKilled.length).toBeGreaterThanOrEqual(8);
    expect(resumedAfter.every((ms) => ms <= RESUMED_WITHIN_MS)).toBe(true);
    expect(afterResume.length).toBeGreaterThanOrEqual(12);
    expect(lost.map((a) => a.message.content)).toEqual([]);
    // Stored exactly once, as acked.
    expect(acked.filter((a) => !storedIds.has(`${a.message.roomId}/${a.message.messageId}`))).toEqual([]);
    expect(storedIds.size).toBe(stored.length);
    expect(stored.length).toBe(acked.length);
    expect(notAcked).toEqual([]);
  }, 90_000);
});
