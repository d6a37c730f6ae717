import { randomUUID } from 'node:crypto';
import { Cluster as ClusterClient } from 'ioredis';
import type { Cluster } from '../../scripts/cluster.js';
import type { LocalRedisCluster } from '../../scripts/redis-cluster.js';
import type { MessageResponse } from '../../src/messages/message.response.js';
import type { ActionAck, ResyncEvent } from '../../src/realtime/events.js';
import { ClusterShardSubscribers } from '../../src/redis/cluster-shard-subscribers.js';
import { SLOTS_REFRESH_MS } from '../../src/redis/redis-connections.js';
import { userShardChannel } from '../../src/redis/sharded-adapter.js';
import { createRoom } from '../factories/rooms.js';
import { createUser } from '../factories/users.js';
import { closeAllClients, connect, Inbox, sleep, type ChatClient } from '../setup/sockets.js';
import { affinityKeysPerInstance, ProcessLog, startOnRedisCluster } from './helpers.js';

/** Heard within this long of its ack: live. */
const LIVE_MS = 500;
/** Longer than the grace a held publish waits for once its master answers again. */
const HELD_GRACE_MS = 2_000;

async function send(socket: ChatClient, roomId: string, content: string): Promise<MessageResponse> {
  const ack = (await socket.emitWithAck('create_message', {
    roomId,
    messageId: randomUUID(),
    content,
  })) as ActionAck;
  expect(ack.status).toBe('success');
  return (ack as { message: MessageResponse }).message;
}

/**
 * Resharding moves a slot from one master to another: the old master drops
 * the sharded subscriptions of its channels, and a client whose slot map is
 * behind is answered -MOVED. Subscriptions follow the slot, and what an
 * instance could not hear meanwhile reaches its sockets through a resync.
 */
describe('on a Redis Cluster whose slots move to another master', () => {
  const processLog = new ProcessLog();
  let redis: LocalRedisCluster | undefined;
  let cluster: Cluster | undefined;
  const clients: ClusterClient[] = [];

  const clusterClient = async (): Promise<ClusterClient> => {
    const client = new ClusterClient(redis!.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
    clients.push(client);
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };
  const anotherNode = async (channel: string) => {
    const serving = await redis!.nodeServing(channel);
    return redis!.nodes.find((n) => n !== serving)!;
  };

  beforeAll(async () => {
    ({ redis, cluster } = await startOnRedisCluster(2, processLog.push));
  }, 60_000);

  afterAll(async () => {
    closeAllClients();
    clients.forEach((c) => c.disconnect());
    await cluster?.stop();
    await redis?.stop();
  }, 60_000);

  it('answers a subscription that a master refused with -MOVED, from the master that serves the slot now', async () => {
    const subscribers = new ClusterShardSubscribers(await clusterClient(), {});
    let resyncs = 0;
    subscribers.on('resubscribed', () => resyncs++);
    const channel = `chat:{slot-move-${randomUUID()}}`;
    // This client read the slot map before the move: it asks the old master first.
    await redis!.moveSlot(channel, await anotherNode(channel));

    const subscribed = await Promise.race([
      subscribers.ssubscribe(channel).then(() => 'subscribed'),
      sleep(5_000).then(() => 'still waiting'),
    ]);
    const heard = new Promise<string>((resolve) =>
      subscribers.on('smessageBuffer', (_channel, message) => resolve(message.toString())),
    );
    await (await clusterClient()).spublish(channel, 'after the move');

    expect(subscribed).toBe('subscribed');
    await expect(heard).resolves.toBe('after the move');
    // The join that asked for it resyncs its own sockets; the instance has nothing else to resync.
    expect(resyncs).toBe(0);
    await subscribers.quit();
  }, 30_000);

  it("follows its users' channels to the new master: delivery is live again, and what was missed comes back through a resync", async () => {
    const lb = cluster!.lbUrl;
    const keys = await affinityKeysPerInstance(cluster!);
    const [alice, bob] = [await createUser(lb, 'alice'), await createUser(lb, 'bob')];
    const room = await createRoom(lb, alice, [bob]);
    const aliceSocket = await connect(lb, alice.token, { query: { affinity: keys[0] } });
    const bobSocket = await connect(lb, bob.token, { query: { affinity: keys[1] } });
    const bobInbox = new Inbox(bobSocket);
    const heardAt = (m: MessageResponse) =>
      bobInbox.received.find((r) => r.event === 'message_created' && r.data.message.messageId === m.messageId)
        ?.at;

    const before = await send(aliceSocket, room.id, 'before the move');
    await bobInbox.waitFor('message_created', (e) => e.message.messageId === before.messageId);

    const bobChannel = userShardChannel(`user:${bob.id}`);
    await redis!.moveSlot(bobChannel, await anotherNode(bobChannel));
    // Sent before bob's instance has read the new slot map: it may not be heard live.
    const during = await send(aliceSocket, room.id, 'during the move');
    const movedAt = Date.now();
    await bobInbox.waitFor(
      'resync',
      (e: ResyncEvent) => e.rooms.some((r) => r.roomId === room.id && r.rev >= during.rev),
      SLOTS_REFRESH_MS + 5_000,
    );
    const resyncedAfter = Date.now() - movedAt;
    // A publish refused during the move holds its slot's later ones until the grace after it ends.
    await sleep(HELD_GRACE_MS);

    const after = await send(aliceSocket, room.id, 'after the move');
    const ackedAt = Date.now();
    await bobInbox.waitFor('message_created', (e) => e.message.messageId === after.messageId);
    console.log(
      `slot move: bob's instance resynced ${resyncedAfter} ms after the move; the message sent ` +
        `during it was ${heardAt(during) === undefined ? 'never heard' : `heard ${heardAt(during)! - movedAt} ms after its ack`}` +
        `; the one after it ${heardAt(after)! - ackedAt} ms after its ack`,
    );

    expect(heardAt(after)! - ackedAt).toBeLessThanOrEqual(LIVE_MS);
    expect(
      bobInbox.of('message_created').filter((e) => e.message.messageId === after.messageId),
    ).toHaveLength(1);
  }, 60_000);

  it('shuts down at once when a master it has a link to is gone', async () => {
    const subscribers = new ClusterShardSubscribers(await clusterClient(), { maxRetriesPerRequest: null });
    const channel = `chat:{gone-${randomUUID()}}`;
    await subscribers.ssubscribe(channel);
    const master = await redis!.nodeServing(channel);
    await master.kill();
    // Queued on the link to the dead master, where QUIT would wait behind it.
    void subscribers.sunsubscribe(channel).catch(() => undefined);

    const started = Date.now();
    await subscribers.quit();
    const took = Date.now() - started;
    await master.restart();
    await redis!.healthy();

    expect(took).toBeLessThan(1_500);
  }, 60_000);
});
