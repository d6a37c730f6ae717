import type { Redis } from 'ioredis';
import type { TokenBuckets } from './token-buckets.js';

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

type TakeTokens = (keyCount: number, ...keysAndArgs: (string | number)[]) => Promise<number[]>;

/** Buckets in Redis, so a user's limit holds across connections and instances. */
export class RedisTokenBuckets implements TokenBuckets {
  private readonly takeTokens: TakeTokens;

  constructor(redis: Redis) {
    // Sent once, then called by its SHA (EVALSHA): no script text per call.
    redis.defineCommand('takeSendTokens', { lua: TAKE_TOKENS });
    this.takeTokens = (redis as unknown as { takeSendTokens: TakeTokens }).takeSendTokens.bind(redis);
  }

  async take(keys: string[], { perSecond, burst }: { perSecond: number; burst: number }): Promise<boolean[]> {
    const allowed = await this.takeTokens(keys.length, ...keys, perSecond, burst);
    return allowed.map((a) => a === 1);
  }
}
