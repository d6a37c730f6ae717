import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';

// A token bucket per user, kept in Redis so it holds across instances and
// connections. Redis's own clock keeps instances with skewed clocks honest;
// the whole check is one atomic round trip.
const TAKE_TOKEN = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return allowed`;

@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  /** True when the user may send one more message now. */
  async tryTake(userId: string): Promise<boolean> {
    const { perSecond, burst } = this.config.rateLimit;
    try {
      const allowed = await this.redis.eval(TAKE_TOKEN, 1, `rate:send:${userId}`, perSecond, burst);
      return allowed === 1;
    } catch (error) {
      // Losing the limiter must not stop people from talking: fail open.
      this.logger.warn(`rate limit not checked, Redis unavailable: ${(error as Error).message}`);
      return true;
    }
  }
}
