import type { RedisConnections } from '../redis/redis-connections.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';

const rate = { perSecond: 20, burst: 40 };

/** A Redis Cluster's script calls, one per slot: one master refuses, one is down, one allows. */
function clusterWithOneMasterDown(): { buckets: RedisTokenBuckets; calls: string[][] } {
  const calls: string[][] = [];
  const scripts = {
    takeTokens: (count: number, ...keysAndArgs: (string | number)[]) => {
      const keys = keysAndArgs.slice(0, count) as string[];
      calls.push(keys);
      if (keys.some((key) => key.includes('{down}'))) {
        return Promise.reject(new Error('CLUSTERDOWN The cluster is down'));
      }
      return Promise.resolve([keys.map((key) => (key.includes('{refused}') ? 0 : 1)), keys.map(() => 0)]);
    },
    returnTokens: () => Promise.resolve(0),
  };
  const commands = {
    defineCommand: () => undefined,
    ...scripts,
  };
  const buckets = new RedisTokenBuckets({ commands, cluster: true } as unknown as RedisConnections);
  return { buckets, calls };
}

describe('RedisTokenBuckets on a Redis Cluster', () => {
  it('fails only the checks of a master that did not answer, and keeps the answers of the others', async () => {
    const { buckets, calls } = clusterWithOneMasterDown();
    const outcomes = await Promise.allSettled([
      buckets.take('rate:send:{refused}', rate),
      buckets.take('rate:send:{down}', rate),
      buckets.take('rate:send:{allowed}', rate),
    ]);
    await buckets.beforeApplicationShutdown();

    // One batch, one script call per slot.
    expect(calls).toHaveLength(3);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: false },
      { status: 'rejected', reason: new Error('CLUSTERDOWN The cluster is down') },
      { status: 'fulfilled', value: true },
    ]);
  });
});
