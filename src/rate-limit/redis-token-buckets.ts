import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { MicroBatch } from '../common/micro-batch.js';
import { withTimeout } from '../common/with-timeout.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { TokenBuckets, type Rate } from './token-buckets.js';
import { LEASE_MS, leaseSize, TokenLeases, type Unused } from './token-leases.js';

/**
 * How long after a grant Redis still counts leased tokens as out: the
 * instance's own LEASE_MS, plus time for a lease that ended to be given
 * back (the release runs every LEASE_MS / 5) before Redis stops counting it.
 */
const REDIS_LEASE_MS = LEASE_MS + 3_000;

// takeToken() as one atomic script over every key of a batch (a key may
// repeat: one user sending twice in the batch). Redis's clock, not the
// instances', so skewed clocks cannot stretch the limit.
//
// Leases: a key's last check in a call (the earlier ones took theirs
// already) may also take up to ARGV[3] tokens ahead of need, only from the
// bucket's upper half. The bucket remembers how many tokens are out on
// lease (`leased`) until when (`lend`, ARGV[4] ms on): while they may still
// be spent, it refills only up to the burst minus them, so the bucket and
// the leases together never hold more than the burst. Once `lend` has
// passed, what was not given back counts as spent.
//
// Answers, per check: 0 refused, 1 allowed, 1 + n allowed with n leased;
// and the lease's end (Redis clock) for those that leased.
const TAKE_TOKENS = `
local rate, burst, lease, leaseMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl = math.ceil(burst * 1000 / rate) + 1000
local allowed, ends, last = {}, {}, {}
for i, key in ipairs(KEYS) do last[key] = i end
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'tokens', 'at', 'leased', 'lend')
  local lend = tonumber(state[4]) or 0
  local leased = now < lend and tonumber(state[3]) or 0
  local tokens = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  tokens = math.min(burst - leased, tokens + math.max(0, now - at) * rate / 1000)
  allowed[i] = 0
  ends[i] = 0
  if tokens >= 1 then
    tokens = tokens - 1
    allowed[i] = 1
    local ahead = math.min(lease, math.floor(tokens - burst / 2))
    if last[key] == i and ahead > 0 then
      tokens = tokens - ahead
      leased = leased + ahead
      lend = now + leaseMs
      allowed[i] = 1 + ahead
      ends[i] = lend
    end
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now, 'leased', leased, 'lend', lend)
  redis.call('PEXPIRE', key, math.max(ttl, lend - now + 1000))
end
return {allowed, ends}`;

// A lease given back (KEYS[i]; ARGV from 3 on, three per key: tokens not
// spent, tokens granted, the lease's end as TAKE_TOKENS answered it): the
// grant is no longer out, the unspent tokens are back in the bucket. Only
// before the lease's end: after it, the bucket has stopped counting it.
// The refill since the bucket was last touched is capped as it was while
// the grant was out (burst minus everything leased); only then do the
// unspent tokens come back, under the new cap. (Capping once, at the new
// cap, handed back the refill a full bucket would have lost: a lease spent
// late and returned at once made the bucket whole again, burst plus lease.)
const RETURN_TOKENS = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i, key in ipairs(KEYS) do
  local unused, granted, leaseEnd = tonumber(ARGV[i * 3]), tonumber(ARGV[i * 3 + 1]), tonumber(ARGV[i * 3 + 2])
  local state = redis.call('HMGET', key, 'tokens', 'at', 'leased')
  if state[1] and now < leaseEnd then
    local leasedBefore = tonumber(state[3]) or 0
    local leased = math.max(0, leasedBefore - granted)
    local refilled = math.min(burst - leasedBefore, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate / 1000)
    redis.call('HSET', key, 'tokens', tostring(math.min(burst - leased, refilled + unused)), 'at', now, 'leased', leased)
  end
end
return 0`;

// A check Redis has not answered by then fails, and the caller decides.
const CHECK_TIMEOUT_MS = 500;

type Script<R> = (keyCount: number, ...keysAndArgs: (string | number)[]) => Promise<R>;

interface Check {
  key: string;
  rate: Rate;
}

/**
 * Buckets in Redis, so a user's limit holds across connections and
 * instances. A user well within the limit is mostly served from tokens this
 * instance leased ahead (TokenLeases): no round trip per message.
 */
@Injectable()
export class RedisTokenBuckets extends TokenBuckets implements BeforeApplicationShutdown {
  private readonly takeTokens: Script<[number[], number[]]>;
  private readonly returnTokens: Script<number>;
  private readonly leases = new TokenLeases();
  private readonly releaseTimer: NodeJS.Timeout;
  /**
   * The checks of messages arriving together go out as one call: one
   * batch on one Redis, one per master on a cluster, so a master that does
   * not answer (CHECK_TIMEOUT_MS) holds up only the checks it serves.
   */
  private readonly batches = new Map<string, MicroBatch<Check, boolean | Error>>();

  /** On a Redis Cluster one script call may only touch keys of one slot. */
  private readonly cluster: boolean;
  /** The master (`host:port`) serving a key; '' on one Redis or while the slot map does not say. */
  private readonly masterOf: (key: string) => string;

  constructor({ commands, cluster }: RedisConnections) {
    super();
    this.cluster = cluster;
    this.masterOf = cluster ? (key) => (commands as Cluster).slots[calculateSlot(key)]?.[0] ?? '' : () => '';
    // Sent once, then called by their SHA (EVALSHA): no script text per call.
    commands.defineCommand('takeTokens', { lua: TAKE_TOKENS });
    commands.defineCommand('returnTokens', { lua: RETURN_TOKENS });
    const scripts = commands as unknown as {
      takeTokens: Script<[number[], number[]]>;
      returnTokens: Script<number>;
    };
    this.takeTokens = scripts.takeTokens.bind(commands);
    this.returnTokens = scripts.returnTokens.bind(commands);
    this.releaseTimer = setInterval(() => void this.giveBack(this.leases.release()), LEASE_MS / 5);
    this.releaseTimer.unref();
  }

  take(key: string, rate: Rate): Promise<boolean> {
    if (this.leases.take(key)) {
      return Promise.resolve(true);
    }
    return this.batchFor(key)
      .submit({ key, rate })
      .then((answer) => {
        if (answer instanceof Error) {
          throw answer;
        }
        return answer;
      });
  }

  private batchFor(key: string): MicroBatch<Check, boolean | Error> {
    const master = this.masterOf(key);
    let batch = this.batches.get(master);
    if (!batch) {
      batch = new MicroBatch((checks) => this.takeBatch(checks), { maxInFlight: 1, maxBatch: 500 });
      this.batches.set(master, batch);
    }
    return batch;
  }

  /** Before Redis closes: what this instance leased and will not spend goes back. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.releaseTimer);
    await this.giveBack(this.leases.release(true));
  }

  /**
   * Per check, whether it may go, or why Redis could not say. Each script
   * call stands alone: on a cluster, a master that does not answer fails
   * the checks of its slot only, not the answers the others gave.
   */
  private async takeBatch(checks: Check[]): Promise<(boolean | Error)[]> {
    // Checks that queued while the previous call was out may be served by what it leased.
    const allowed: (boolean | Error)[] = checks.map(({ key }) => this.leases.take(key));
    const asking = checks.flatMap((check, index) => (allowed[index] ? [] : [{ ...check, index }]));
    await Promise.all(
      this.byScriptCall(asking).map((group) =>
        this.ask(group).then(
          (answers) => group.forEach(({ index }, j) => (allowed[index] = answers[j])),
          (error: unknown) => {
            const failed = error instanceof Error ? error : new Error(String(error));
            group.forEach(({ index }) => (allowed[index] = failed));
          },
        ),
      ),
    );
    return allowed;
  }

  /** One script call: per check, whether it may go; tokens leased ahead are kept for the next ones. */
  private async ask(group: Check[]): Promise<boolean[]> {
    const { rate } = group[0];
    const keys = group.map((check) => check.key);
    const [answers, leaseEnds] = await withTimeout(
      this.takeTokens(keys.length, ...keys, rate.perSecond, rate.burst, leaseSize(rate), REDIS_LEASE_MS),
      CHECK_TIMEOUT_MS,
      () => {
        throw new Error(`Redis did not answer within ${CHECK_TIMEOUT_MS} ms`);
      },
    );
    return group.map(({ key }, j) => {
      if (answers[j] > 1) {
        this.leases.add(key, answers[j] - 1, rate, leaseEnds[j]);
      }
      return answers[j] >= 1;
    });
  }

  /** Unspent leased tokens back to their buckets; if Redis is away they are lost (the user gets fewer, never more). */
  private async giveBack(unused: Unused[]): Promise<void> {
    await Promise.all(
      this.byScriptCall(unused).map((group) => {
        const { rate } = group[0];
        const keys = group.map((u) => u.key);
        const leases = group.flatMap((u) => [u.tokens, u.granted, u.leaseEnd]);
        return withTimeout(
          this.returnTokens(keys.length, ...keys, rate.perSecond, rate.burst, ...leases),
          CHECK_TIMEOUT_MS,
          () => 0,
        ).catch(() => 0);
      }),
    );
  }

  /**
   * A script takes one rate: items mixing limits go out as one call per
   * rate; on a cluster, one per rate and hash tag (slot), in parallel.
   */
  private byScriptCall<T extends Check>(items: T[]): T[][] {
    const calls = new Map<string, T[]>();
    for (const item of items) {
      const id = `${item.rate.perSecond}/${item.rate.burst}${this.cluster ? ` ${hashTag(item.key)}` : ''}`;
      const call = calls.get(id) ?? [];
      call.push(item);
      calls.set(id, call);
    }
    return [...calls.values()];
  }
}

/** What Redis Cluster hashes a key by: the text of its first non-empty `{…}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
