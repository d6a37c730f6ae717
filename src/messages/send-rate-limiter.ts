import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { MicroBatch } from '../common/micro-batch.js';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';

// A token bucket per user, kept in Redis so it holds across instances and
// connections. Redis's own clock keeps instances with skewed clocks honest.
// One call takes a token for each key given (a key may repeat: one user
// sending twice in the batch), atomically.
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

// If Redis does not answer by then, the check is skipped rather than
// holding the message.
const CHECK_TIMEOUT_MS = 500;

type TakeTokens = (keyCount: number, ...keysAndArgs: (string | number)[]) => Promise<number[]>;

@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);
  // The checks of messages arriving together go to Redis as one script call.
  private readonly checks = new MicroBatch<string, boolean>((userIds) => this.takeTokens(userIds), {
    maxInFlight: 1,
    maxBatch: 500,
  });

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {
    // Sent once, then called by its SHA (EVALSHA): no script text per call.
    redis.defineCommand('takeSendTokens', { lua: TAKE_TOKENS });
  }

  /** True when the user may send one more message now. */
  async tryTake(userId: string): Promise<boolean> {
    try {
      return await this.checks.submit(userId);
    } catch (error) {
      // Losing the limiter must not stop people from talking: fail open.
      this.logger.warn(`rate limit not checked: ${(error as Error).message}`);
      return true;
    }
  }

  private async takeTokens(userIds: string[]): Promise<boolean[]> {
    const { perSecond, burst } = this.config.rateLimit;
    const take = (this.redis as unknown as { takeSendTokens: TakeTokens }).takeSendTokens.bind(this.redis);
    const keys = userIds.map((id) => `rate:send:${id}`);
    const allowed = await withTimeout(take(keys.length, ...keys, perSecond, burst), CHECK_TIMEOUT_MS);
    return allowed.map((a) => a === 1);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
