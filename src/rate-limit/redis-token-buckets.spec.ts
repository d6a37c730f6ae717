import calculateSlot from 'cluster-key-slot';
import type { RedisConnections } from '../redis/redis-connections.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';

const rate = { perSecond: 20, burst: 40 };

/**
 * A Redis Cluster's script calls, one per slot: `{down}` lives on master
 * A, which refuses (or, `silent`, never answers); the others on master B,
 * which refuses `{refused}` and allows the rest.
 */
function clusterWithOneMasterDown(silent = false): { buckets: RedisTokenBuckets; calls: string[][] } {
  const calls: string[][] = [];
  const scripts = {
    takeTokens: (count: number, ...keysAndArgs: (string | number)[]) => {
      const keys = keysAndArgs.slice(0, count) as string[];
      calls.push(keys);
      if (keys.some((key) => key.includes('{down}'))) {
        return silent
          ? new Promise(() => undefined)
          : Promise.reject(new Error('CLUSTERDOWN The cluster is down'));
      }
      return Promise.resolve([keys.map((key) => (key.includes('{refused}') ? 0 : 1)), keys.map(() => 0)]);
    },
    returnTokens: () => Promise.resolve(0),
  };
  const slots = new Proxy([] as string[][], {
    get: (target, slot) => (Number(slot) === calculateSlot('rate:send:{down}') ? ['A:1'] : ['B:1']),
  });
  const commands = {
    defineCommand: () => undefined,
    slots,
    ...scripts,
  };
  const buckets = new RedisTokenBuckets({ commands, cluster: true } as unknown as RedisConnections);
  return { buckets, calls };
}

describe('RedisTokenBuckets on a Redis Cluster', () => {
  it('answers the checks of the masters that answer without waiting for one that does not', async () => {
    const { buckets } = clusterWithOneMasterDown(true);
    const started = Date.now();
    const down = buckets.take('rate:send:{down}', rate).then(
      () => 'answered',
      () => 'failed',
    );
    expect(await buckets.take('rate:send:{allowed}', rate)).toBe(true);
    const allowedAfter = Date.now() - started;
    expect(await down).toBe('failed'); // after the check timeout
    await buckets.beforeApplicationShutdown();

    expect(allowedAfter).toBeLessThan(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('fails only the checks of a master that did not answer, and keeps the answers of the others', async () => {
    const { buckets, calls } = clusterWithOneMasterDown();
    const outcomes = await Promise.allSettled([
      buckets.take('rate:send:{refused}', rate),
      buckets.take('rate:send:{down}', rate),
      buckets.take('rate:send:{allowed}', rate),
    ]);
    await buckets.beforeApplicationShutdown();

    // One script call per slot.
    expect(calls).toHaveLength(3);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: false },
      { status: 'rejected', reason: new Error('CLUSTERDOWN The cluster is down') },
      { status: 'fulfilled', value: true },
    ]);
  });
});
