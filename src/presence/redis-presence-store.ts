import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { RedisClient } from '../redis/redis-connections.js';
import { OutageLog } from '../common/outage-log.js';
import { withTimeout } from '../common/with-timeout.js';
import { AppConfig } from '../config/app-config.js';
import { MAX_RECONNECT_DELAY_MS, RedisConnections } from '../redis/redis-connections.js';
import { PresenceStore } from './presence-store.js';
import { SocketCounts } from './socket-counts.js';

// Every key carries the hash tag {presence}, so all of them live in one
// Redis Cluster slot and the scripts below, which touch keys they compute,
// stay legal there.
const ONLINE = '{presence}:online'; // set: users with a socket on some instance
const INSTANCES = '{presence}:instances'; // zset: instance id -> last heartbeat (Redis clock, ms)
const INSTANCE_USERS = '{presence}:instance:'; // + instance id: set of its users
const USER_INSTANCES = '{presence}:user:'; // + user id: set of the instances holding a socket of theirs
const USER_SOCKETS = '{presence}:sockets:'; // + user id: hash instance id -> sockets of theirs there (§11)

// The one invariant: a user is in ONLINE exactly when their instance set is
// not empty. Each script keeps it in one atomic step, so a user goes online
// or offline once however many instances race, and the script that makes the
// change is the one that reports it. KEYS: ONLINE, INSTANCES, this
// instance's user set; ARGV[1]: this instance's id.
const HELPERS = `
local online, instances, own, me = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local function now()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
-- 1 when the user was offline until now
local function join(instance, users, user)
  redis.call('SADD', users, user)
  redis.call('SADD', '${USER_INSTANCES}' .. user, instance)
  return redis.call('SADD', online, user)
end
-- a dead or departed instance's sockets stop counting against a user's quota
local function forget_sockets(instance, user)
  redis.call('HDEL', '${USER_SOCKETS}' .. user, instance)
end
-- 1 when the user has no instance left
local function part(instance, users, user)
  redis.call('SREM', users, user)
  local held = '${USER_INSTANCES}' .. user
  redis.call('SREM', held, instance)
  if redis.call('EXISTS', held) == 1 then return 0 end
  return redis.call('SREM', online, user)
end
`;

/**
 * A first or last socket here (ARGV[2]: the user). -1 when this instance is
 * not registered (Redis lost its data, or took us for dead): then nothing is
 * changed and the caller re-asserts all its users.
 */
const JOIN = `${HELPERS}
if not redis.call('ZSCORE', instances, me) then return -1 end
return join(me, own, ARGV[2])`;
const PART = `${HELPERS}
if not redis.call('ZSCORE', instances, me) then return -1 end
return part(me, own, ARGV[2])`;

/**
 * Registers this instance and makes its user set exactly the users with a
 * socket here: ARGV[2] of them, from ARGV[3]; after them, the users whose
 * last socket here left while Redis could not be told. Those are reported
 * offline whenever no instance holds them any more, even if Redis had lost
 * them already (a restart): their room-mates last heard them online.
 * Answers the changes, flat: user, 1|0, user, 1|0…
 */
const SYNC = `${HELPERS}
redis.call('ZADD', instances, now(), me)
local last = 2 + tonumber(ARGV[2])
local wanted, changes = {}, {}
local function change(user, online)
  changes[#changes + 1] = user; changes[#changes + 1] = online
end
for i = 3, last do wanted[ARGV[i]] = true end
for i = last + 1, #ARGV do
  local user = ARGV[i]
  if not wanted[user] then
    part(me, own, user)
    if redis.call('EXISTS', '${USER_INSTANCES}' .. user) == 0 then change(user, 0) end
  end
end
for _, user in ipairs(redis.call('SMEMBERS', own)) do
  if not wanted[user] and part(me, own, user) == 1 then change(user, 0) end
end
for i = 3, last do
  if join(me, own, ARGV[i]) == 1 then change(ARGV[i], 1) end
end
return changes`;

/**
 * The heartbeat of a registered instance (ARGV[2]: how old a heartbeat
 * makes an instance dead), and the survivor's duty: every dead instance
 * (a few per beat, so one script never holds Redis for long) is removed, and
 * its users with no instance left go offline. Whoever runs this first does
 * the work, atomically; another survivor finds nothing left to do, so no
 * lock is needed. Answers: 1|0 (registered), then user, last heartbeat of
 * their dead instance, user, …
 */
const HEARTBEAT = `${HELPERS}
local t = now()
local registered = 0
if redis.call('ZSCORE', instances, me) then
  redis.call('ZADD', instances, t, me)
  registered = 1
end
local answer = { registered }
local dead = redis.call('ZRANGE', instances, '-inf', t - tonumber(ARGV[2]), 'BYSCORE', 'LIMIT', 0, 10, 'WITHSCORES')
for i = 1, #dead, 2 do
  local users = '${INSTANCE_USERS}' .. dead[i]
  for _, user in ipairs(redis.call('SMEMBERS', users)) do
    forget_sockets(dead[i], user)
    if part(dead[i], users, user) == 1 then
      answer[#answer + 1] = user; answer[#answer + 1] = dead[i + 1]
    end
  end
  redis.call('ZREM', instances, dead[i])
end
return answer`;

/** This instance shuts down: all its users part, and it deregisters. Answers who went offline. */
const LEAVE = `${HELPERS}
local gone = {}
for _, user in ipairs(redis.call('SMEMBERS', own)) do
  forget_sockets(me, user)
  if part(me, own, user) == 1 then gone[#gone + 1] = user end
end
redis.call('ZREM', instances, me)
return gone`;

/**
 * §11: admits one more socket of the user (ARGV[2]) unless they hold ARGV[3]
 * already, counting only instances still registered (this one included), so
 * a dead instance's sockets stop counting as soon as it is found dead. 1 or 0.
 */
const ADMIT = `${HELPERS}
local key = '${USER_SOCKETS}' .. ARGV[2]
local held, total = redis.call('HGETALL', key), 0
for i = 1, #held, 2 do
  if held[i] == me or redis.call('ZSCORE', instances, held[i]) then
    total = total + tonumber(held[i + 1])
  else
    redis.call('HDEL', key, held[i])
  end
end
if total >= tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', key, me, 1)
return 1`;
const RELEASE = `${HELPERS}
local key = '${USER_SOCKETS}' .. ARGV[2]
if redis.call('HINCRBY', key, me, -1) <= 0 then redis.call('HDEL', key, me) end
return 1`;

const SCRIPTS = { JOIN, PART, SYNC, HEARTBEAT, LEAVE, ADMIT, RELEASE };
type Scripts = Record<keyof typeof SCRIPTS, (...args: string[]) => Promise<unknown>>;

/** An instance whose heartbeat is this many intervals old is dead. */
const DEAD_AFTER_BEATS = 3;
/** A presence call Redis has not answered by then fails; the next heartbeat puts things right. */
const CALL_TIMEOUT_MS = 1_000;
/**
 * After a reconnect, re-asserting waits this long: by then every instance
 * has reconnected too (each retries at least every MAX_RECONNECT_DELAY_MS)
 * and its adapter is subscribed again, so the changes announced reach
 * everyone instead of a Redis nobody listens to yet.
 */
const RESUBSCRIBED_AFTER_MS = MAX_RECONNECT_DELAY_MS + 1_000;
const NOT_REGISTERED = -1;

/**
 * Presence in Redis, shared by every instance. Each instance has a random id
 * and counts its own sockets per user in memory; Redis holds, per instance,
 * its users, and per user, the instances holding a socket of theirs. Only a
 * user's first socket here and their last one reach Redis.
 *
 * Redis may lose everything (a restart without persistence), miss a change
 * (unreachable at that moment), or take this instance for dead (it stalled).
 * In each case the instance marks itself out of sync and, at the next
 * heartbeat that Redis answers, re-asserts its users as they are in memory:
 * those who came meanwhile go online, those who left go offline, with the
 * time they left.
 */
@Injectable()
export class RedisPresenceStore extends PresenceStore implements OnApplicationBootstrap {
  private readonly outage = new OutageLog(new Logger('Presence'), 'presence in Redis');
  private readonly instanceId = randomUUID();
  private readonly scripts: Scripts;
  private readonly sockets = new SocketCounts();
  /** Users whose last socket here left while Redis could not be told, and when. */
  private readonly departures = new Map<string, Date>();
  private readonly commands: RedisClient;
  private readonly heartbeatMs: number;
  private outOfSync = true;
  /** No re-assertion before then (see RESUBSCRIBED_AFTER_MS). */
  private syncAfter = 0;
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private leaving = false;

  constructor({ commands }: RedisConnections, config: AppConfig) {
    super();
    this.commands = commands;
    this.heartbeatMs = config.presenceHeartbeatMs;
    const keys = [ONLINE, INSTANCES, `${INSTANCE_USERS}${this.instanceId}`];
    const scripts: Partial<Scripts> = {};
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      // Sent once, then called by its SHA (EVALSHA).
      commands.defineCommand(`presence${name}`, { lua, numberOfKeys: keys.length });
      const command = (commands as unknown as Record<string, Scripts[keyof Scripts]>)[`presence${name}`];
      scripts[name as keyof Scripts] = (...args) => command.call(commands, ...keys, this.instanceId, ...args);
    }
    this.scripts = scripts as Scripts;
    // Reconnected: Redis may have restarted empty, or missed changes.
    commands.on('ready', () => {
      this.outOfSync = true;
      this.syncAfter = Date.now() + RESUBSCRIBED_AFTER_MS;
    });
  }

  onApplicationBootstrap(): void {
    void this.beat();
  }

  socketConnected(userId: string): void {
    if (this.leaving) {
      return;
    }
    this.departures.delete(userId);
    if (this.sockets.add(userId)) {
      void this.transition(userId, true);
    }
  }

  socketDisconnected(userId: string): void {
    if (this.sockets.remove(userId)) {
      void this.transition(userId, false);
    }
  }

  /**
   * Without an answer from Redis the socket is admitted: the quota guards
   * against a flood, and refusing everyone during an outage would be worse.
   */
  async admit(userId: string, max: number): Promise<boolean> {
    try {
      const admitted = (await this.call(this.scripts.ADMIT(userId, String(max)))) === 1;
      this.outage.recovered();
      return admitted;
    } catch (error) {
      this.failed(error);
      return true;
    }
  }

  release(userId: string): void {
    this.call(this.scripts.RELEASE(userId)).catch((error: unknown) => this.failed(error));
  }

  /** One SMISMEMBER; without Redis, what this instance knows: its own users. */
  async onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (userIds.length === 0) {
      return new Set();
    }
    try {
      const flags = await this.call(this.commands.smismember(ONLINE, ...userIds));
      return new Set(userIds.filter((_, i) => flags[i] === 1));
    } catch (error) {
      this.failed(error);
      return new Set(userIds.filter((id) => this.sockets.has(id)));
    }
  }

  async leave(): Promise<void> {
    this.leaving = true;
    clearTimeout(this.timer);
    this.sockets.clear();
    try {
      const gone = (await this.call(this.scripts.LEAVE())) as string[];
      const at = new Date();
      gone.forEach((userId) => this.report({ userId, online: false, at }));
    } catch (error) {
      // The others will find this instance dead after DEAD_AFTER_BEATS heartbeats.
      this.failed(error);
    }
  }

  private async transition(userId: string, online: boolean): Promise<void> {
    const at = new Date();
    try {
      const answer = await this.call(online ? this.scripts.JOIN(userId) : this.scripts.PART(userId));
      this.outage.recovered();
      if (answer === 1) {
        this.report({ userId, online, at });
      } else if (answer === NOT_REGISTERED) {
        this.missed(userId, online, at);
        if (Date.now() >= this.syncAfter) {
          await this.sync();
        }
      }
    } catch (error) {
      this.failed(error);
      this.missed(userId, online, at);
    }
  }

  /** Redis did not take the change: the next re-assertion carries it. */
  private missed(userId: string, online: boolean, at: Date): void {
    this.outOfSync = true;
    if (!online) {
      this.departures.set(userId, at);
    }
  }

  /**
   * Re-asserts this instance's users; one at a time. Safe to skip while one
   * runs: a change made before it was sent is in its snapshot, and one made
   * after follows it on the same connection.
   */
  private sync(): Promise<void> {
    this.syncing ??= this.syncNow().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    if (this.leaving) {
      return;
    }
    this.outOfSync = false; // before sending: a failure from now on marks it again
    const users = this.sockets.users();
    const departures = [...this.departures];
    const departed = departures.map(([userId]) => userId);
    const answer = await this.call(this.scripts.SYNC(String(users.length), ...users, ...departed));
    const changes = answer as (string | number)[];
    const now = new Date();
    for (const [userId, at] of departures) {
      if (this.departures.get(userId) === at) {
        this.departures.delete(userId);
      }
    }
    const departedAt = new Map(departures);
    for (let i = 0; i < changes.length; i += 2) {
      const userId = String(changes[i]);
      const online = changes[i + 1] === 1;
      this.report({ userId, online, at: online ? now : (departedAt.get(userId) ?? now) });
    }
  }

  private async beat(): Promise<void> {
    try {
      const staleMs = String(DEAD_AFTER_BEATS * this.heartbeatMs);
      const [registered, ...reaped] = (await this.call(this.scripts.HEARTBEAT(staleMs))) as [
        number,
        ...string[],
      ];
      this.outage.recovered();
      if ((registered === 0 || this.outOfSync) && Date.now() >= this.syncAfter) {
        await this.sync();
      }
      for (let i = 0; i < reaped.length; i += 2) {
        // Last known alive: the dead instance's last heartbeat.
        this.report({ userId: reaped[i], online: false, at: new Date(Number(reaped[i + 1])) });
      }
    } catch (error) {
      this.failed(error);
    } finally {
      if (!this.leaving) {
        this.timer = setTimeout(() => void this.beat(), this.heartbeatMs);
        this.timer.unref();
      }
    }
  }

  private failed(error: unknown): void {
    this.outOfSync = true;
    this.outage.failed(error);
  }

  private call<T>(command: Promise<T>): Promise<T> {
    return withTimeout(command, CALL_TIMEOUT_MS, () => {
      throw new Error(`Redis did not answer within ${CALL_TIMEOUT_MS} ms`);
    });
  }
}
