import { fileURLToPath } from 'node:url';
import type { Rate } from '../rate-limit/token-buckets.js';
import { validateEnv, type Env, type LogLevel } from './env.js';
import { localSecret } from './local-secret.js';

/**
 * Typed, read-only access to the validated environment. Loaded once, before
 * the module graph is built, because the modes (embedded or Postgres, Redis
 * or in-process) decide which providers exist (modes.module.ts).
 */
export class AppConfig {
  readonly port: number;
  /** Null: the embedded database under `dataDir`. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly databasePoolSize: number;
  /** Null: no Redis; broadcasts and rate limits stay in this process. */
  readonly redisUrl: string | null;
  readonly redisPubSub: 'sharded' | 'classic';
  /** Sharded pub/sub on one Redis: events of users held by one instance alone skip Redis. */
  readonly skipLoneUsers: boolean;
  readonly authSecret: string;
  readonly tokenTtlSeconds: number;
  /** Tokens of the first format are refused from this moment on. */
  readonly legacyTokensUntil: Date;
  /** `null` means every origin is allowed. */
  readonly corsOrigins: ReadonlySet<string> | null;
  /** Where the built web client lives (it may not exist: a server-only build). */
  readonly webDir: string;
  readonly rateLimit: Rate;
  readonly signalRateLimit: Rate;
  /** Null: that limit is off. */
  readonly roomLimit: Rate | null;
  readonly signupLimit: Rate | null;
  /** 0: no limit. */
  readonly maxSocketsPerUser: number;
  /** Express's `trust proxy` setting: false unless TRUST_PROXY says otherwise. */
  readonly trustProxy: boolean | number | string;
  readonly shutdownTimeoutMs: number;
  /** The least time between two group commits of this instance. */
  readonly messageBatchSpacingMs: number;
  readonly presenceHeartbeatMs: number;
  readonly logLevel: LogLevel;
  readonly logJson: boolean;
  /** Null: /metrics is public. */
  readonly metricsToken: string | null;

  constructor(env: Env) {
    this.port = env.PORT;
    this.databaseUrl = env.DATABASE_URL ?? null;
    this.dataDir = env.DATA_DIR;
    this.databasePoolSize = env.DATABASE_POOL_SIZE;
    this.redisUrl = env.REDIS_URL ?? null;
    this.redisPubSub = env.REDIS_PUBSUB;
    this.skipLoneUsers = env.REDIS_LONE_USERS === 'skip';
    this.authSecret = env.AUTH_SECRET ?? localSecret(this.dataDir);
    this.tokenTtlSeconds = seconds(env.TOKEN_TTL);
    this.legacyTokensUntil = new Date(env.LEGACY_TOKENS_UNTIL);
    this.corsOrigins = parseOrigins(env.CORS_ORIGINS);
    this.webDir = env.WEB_DIR ?? fileURLToPath(new URL('../web', import.meta.url));
    this.rateLimit = { perSecond: env.RATE_LIMIT_PER_SECOND, burst: env.RATE_LIMIT_BURST };
    const signals = env.SIGNAL_RATE_LIMIT_PER_SECOND;
    this.signalRateLimit = { perSecond: signals, burst: signals };
    this.roomLimit = perMinute(env.ROOM_LIMIT_PER_MINUTE, 2);
    this.signupLimit = perMinute(env.SIGNUP_LIMIT_PER_MINUTE, 1);
    this.maxSocketsPerUser = env.MAX_SOCKETS_PER_USER;
    this.trustProxy = trustProxy(env.TRUST_PROXY);
    this.shutdownTimeoutMs = env.SHUTDOWN_TIMEOUT_MS;
    this.messageBatchSpacingMs = env.MESSAGE_BATCH_SPACING_MS;
    this.presenceHeartbeatMs = env.PRESENCE_HEARTBEAT_MS;
    this.logLevel = env.LOG_LEVEL;
    this.logJson = (env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'text')) === 'json';
    this.metricsToken = env.METRICS_TOKEN ?? null;
  }

  /** `overrides` win over `process.env`; tests use them to run several instances in one process. */
  static load(overrides: Record<string, string> = {}): AppConfig {
    return new AppConfig(validateEnv({ ...process.env, ...overrides }));
  }

  /**
   * `ownOrigin` is the origin the request was addressed to (see
   * `common/own-origin.ts`): the service's own pages are same-origin, not
   * cross-site, so they pass whatever CORS_ORIGINS lists.
   */
  isOriginAllowed(origin: string | undefined, ownOrigin?: string): boolean {
    // Requests without an Origin header do not come from a browser page, so
    // there is no cross-site request to guard against.
    return (
      origin === undefined ||
      this.corsOrigins === null ||
      this.corsOrigins.has(origin) ||
      (ownOrigin !== undefined && origin === ownOrigin)
    );
  }
}

/** `count` a minute with bursts of `burstFactor` × count, or null (off) for 0. */
function perMinute(count: number, burstFactor: number): Rate | null {
  return count === 0 ? null : { perSecond: count / 60, burst: count * burstFactor };
}

function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') {
    return false;
  }
  return value === 'true' ? true : /^\d+$/.test(value) ? Number(value) : value;
}

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** "30d" → 2,592,000; a bare number is seconds (the format Env checked). */
function seconds(duration: string): number {
  const [, amount, unit] = /^(\d+)([smhd]?)$/.exec(duration)!;
  return Number(amount) * SECONDS_PER_UNIT[(unit || 's') as keyof typeof SECONDS_PER_UNIT];
}

function parseOrigins(value: string): ReadonlySet<string> | null {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  return origins.includes('*') ? null : new Set(origins);
}
