import { Injectable } from '@nestjs/common';
import { MicroBatch } from '../common/micro-batch.js';
import { withTimeout } from '../common/with-timeout.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { TokenBuckets, type Rate } from './token-buckets.js';

// takeToken() as one atomic script over every key of a batch (a key may
// repeat: one user sending twice in the batch). Redis's clock, not the
// instances', so skewed clocks cannot stretch the limit.
const TAKE_TOKENS = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl = math.ceil(burst * 1000 / rate) + 1000
local allowed = {}
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
  allowed[i] = 0
  if tokens >= 1 then
    tokens = tokens - 1
    allowed[i] = 1
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', key, ttl)
end
return allowed`;

// A check Redis has not answered by then fails, and the caller decides.
const CHECK_TIMEOUT_MS = 500;

type TakeTokens = (keyCount: number, ...keysAndArgs: (string | number)[]) => Promise<number[]>;

interface Check {
  key: string;
  rate: Rate;
}

/** Buckets in Redis, so a user's limit holds across connections and instances. */
@Injectable()
export class RedisTokenBuckets extends TokenBuckets {
  private readonly takeTokens: TakeTokens;
  // The checks of messages arriving together go out as one call.
  private readonly checks = new MicroBatch<Check, boolean>((checks) => this.takeBatch(checks), {
    maxInFlight: 1,
    maxBatch: 500,
  });

  /** On a Redis Cluster one script call may only touch keys of one slot. */
  private readonly cluster: boolean;

  constructor({ commands, cluster }: RedisConnections) {
    super();
    this.cluster = cluster;
    // Sent once, then called by its SHA (EVALSHA): no script text per call.
    commands.defineCommand('takeTokens', { lua: TAKE_TOKENS });
    this.takeTokens = (commands as unknown as { takeTokens: TakeTokens }).takeTokens.bind(commands);
  }

  take(key: string, rate: Rate): Promise<boolean> {
    return this.checks.submit({ key, rate });
  }

  private async takeBatch(checks: Check[]): Promise<boolean[]> {
    // The script takes one rate: a batch mixing limits goes out as one call
    // per rate; on a cluster, one per rate and hash tag (slot), in parallel.
    const byRate = new Map<string, number[]>();
    checks.forEach(({ rate, key }, index) => {
      const id = `${rate.perSecond}/${rate.burst}${this.cluster ? ` ${hashTag(key)}` : ''}`;
      byRate.set(id, [...(byRate.get(id) ?? []), index]);
    });
    const allowed: boolean[] = [];
    await Promise.all(
      [...byRate.values()].map(async (indexes) => {
        const { perSecond, burst } = checks[indexes[0]].rate;
        const keys = indexes.map((i) => checks[i].key);
        const answers = await withTimeout(
          this.takeTokens(keys.length, ...keys, perSecond, burst),
          CHECK_TIMEOUT_MS,
          () => {
            throw new Error(`Redis did not answer within ${CHECK_TIMEOUT_MS} ms`);
          },
        );
        indexes.forEach((index, j) => (allowed[index] = answers[j] === 1));
      }),
    );
    return allowed;
  }
}

/** What Redis Cluster hashes a key by: the text of its first non-empty `{…}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
