import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { PublishShards } from './publish-retry.js';

/**
 * A single Redis, or the classic adapter's PUBLISH on a cluster (which any
 * node takes): one server, one slot, so a held publish holds back every
 * later one, as it always did. Asking it is a PING, refused at once while
 * the link is down.
 */
export function oneServer(client: Redis | Cluster): PublishShards {
  return {
    slotOf: () => 0,
    serverOf: () => 'Redis',
    probe: () => client.ping(),
  };
}

/**
 * The sharded adapter's SPUBLISH on a Redis Cluster: held per slot, its
 * master asked with an empty SPUBLISH on a channel of the same slot that
 * nobody subscribes to (routed and redirected like the real ones, and
 * taken even while the cluster reports itself down).
 */
export function clusterSlots(cluster: Cluster): PublishShards {
  return {
    slotOf: calculateSlot,
    serverOf: (slot) => cluster.slots[slot]?.[0] ?? 'an unknown master',
    probe: (channel) => cluster.call('SPUBLISH', probeChannel(channel), ''),
  };
}

/** A channel in the slot of `channel` that no subscriber listens to: the same hash tag, another name. */
export function probeChannel(channel: string): string {
  const open = channel.indexOf('{');
  const close = open < 0 ? -1 : channel.indexOf('}', open + 1);
  // Without a non-empty tag the whole name is hashed, so it becomes the tag
  // (a name with a stray `}` and no tag would not be: ours all have one).
  const tag = close > open + 1 ? channel.slice(open + 1, close) : channel;
  return `publish-probe:{${tag}}`;
}
