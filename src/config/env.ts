import { plainToInstance, type ClassConstructor } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { ToInt } from '../common/transforms.js';
import { REDIS_URL_PATTERN } from '../redis/redis-target.js';

/** Nest's log levels, least verbose first; LOG_LEVEL keeps those up to the one named. */
export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the data lives: all the migration CLI needs. */
export class DatabaseEnv {
  /** Unset: an embedded Postgres (PGlite) keeps its data under DATA_DIR. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  @IsNotEmpty()
  DATA_DIR = './data';

  /** At least 2: at start the migration lock holds one connection while the migrations run on another. */
  @ToInt()
  @IsInt()
  @Min(2)
  @Max(200)
  DATABASE_POOL_SIZE = 10;
}

/**
 * Every variable the service reads, with its default. Validated once at start
 * so a bad deployment fails before it listens, naming the bad variable.
 */
export class Env extends DatabaseEnv {
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Unset: broadcasts stay in this process (a single instance). */
  @IsOptional()
  @IsString()
  @Matches(REDIS_URL_PATTERN, {
    message: 'REDIS_URL must be a redis:// URL, or redis+cluster://host:port,host:port,… for a Redis Cluster',
  })
  REDIS_URL?: string;

  /**
   * How broadcasts travel between instances: `sharded` (Redis 7 sharded
   * pub/sub, one channel per user: each instance receives only its own
   * users' events) or `classic` (the Socket.IO Redis adapter: every
   * instance receives every broadcast).
   */
  @IsIn(['sharded', 'classic'])
  REDIS_PUBSUB: 'sharded' | 'classic' = 'sharded';

  /**
   * Sharded pub/sub on one Redis: `skip` sends the events of a user whose
   * sockets are all on one instance through no Redis at all; `publish`
   * publishes them anyway (still taking part in the protocol that tells
   * the instances apart), for a rolling upgrade from a version without it.
   */
  @IsIn(['skip', 'publish'])
  REDIS_LONE_USERS: 'skip' | 'publish' = 'skip';

  /**
   * Signs bearer tokens; every instance must share it. Only the embedded
   * single-instance mode may leave it unset (a secret is then kept in DATA_DIR).
   */
  @ValidateIf((env: Env) => env.DATABASE_URL !== undefined || env.AUTH_SECRET !== undefined)
  @IsString({ message: 'AUTH_SECRET is required with DATABASE_URL: every instance must share it' })
  @MinLength(32, { message: 'AUTH_SECRET must be at least 32 characters' })
  AUTH_SECRET?: string;

  /** How long a token is valid: seconds, or a number with s, m, h or d (not 0: no token would ever be valid). */
  @Matches(/^[1-9]\d{0,5}[smhd]?$/, {
    message: 'TOKEN_TTL must be a duration above 0 such as 3600, 90m, 12h or 30d',
  })
  TOKEN_TTL = '30d';

  /**
   * Until when tokens of the first format (`userId.signature`, no expiry)
   * are still accepted; POST /auth/refresh exchanges one for a current token.
   */
  @IsISO8601({ strict: true }, { message: 'LEGACY_TOKENS_UNTIL must be an ISO 8601 date' })
  LEGACY_TOKENS_UNTIL = '2027-03-01T00:00:00Z';

  /** Comma-separated origins allowed for HTTP (CORS) and the socket handshake, or `*`. */
  @IsString()
  @IsNotEmpty()
  CORS_ORIGINS = '*';

  /**
   * The built web client served at `/`. Unset: `web/` beside the compiled
   * server (`dist/web`, where `npm run build` puts it); nothing is served
   * there when the folder has no index.html.
   */
  @IsOptional()
  @IsString()
  WEB_DIR?: string;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_SECOND = 20;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_BURST = 40;

  /** `mark_read` and `typing` a user may send per second, together (and as a burst). */
  @ToInt()
  @IsInt()
  @Min(1)
  SIGNAL_RATE_LIMIT_PER_SECOND = 50;

  /** Sockets a user may hold at once, on all instances together; 0: no limit. */
  @ToInt()
  @IsInt()
  @Min(0)
  MAX_SOCKETS_PER_USER = 20;

  /** Rooms a user may create or add people to per minute (bursts of twice that); 0: no limit. */
  @ToInt()
  @IsInt()
  @Min(0)
  ROOM_LIMIT_PER_MINUTE = 10;

  /** Sign-ups per client address per minute (and as a burst); 0: no limit. */
  @ToInt()
  @IsInt()
  @Min(0)
  SIGNUP_LIMIT_PER_MINUTE = 10;

  /**
   * Unset: the client address is the connection's. Set behind a proxy, in
   * Express's terms (`1` for one proxy hop, `loopback`, addresses or
   * subnets): the address is then read from X-Forwarded-For.
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  TRUST_PROXY?: string;

  /**
   * At most 10 minutes (beyond 2^31 ms Node's timers fire at once, which
   * would skip the drain). Keep it 5 s under the orchestrator's grace period
   * (compose: stop_grace_period, 20 s), or the drain is killed midway.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /**
   * The least time between two of an instance's group commits: messages
   * arriving sooner wait for the next one, which starts with the first
   * message after the spacing (or half as long again after it, when none
   * comes), so under load one statement stores several. 0: each commit
   * starts as soon as it can (lowest latency, most CPU per message).
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(100)
  MESSAGE_BATCH_SPACING_MS = 4;

  /**
   * How often an instance tells Redis it is alive; one silent for three
   * intervals is dead and its users go offline. At most 7,000 ms, so a
   * killed instance's users are shown offline within §8's 30 s: three
   * intervals to go stale, one more for a survivor to notice (28 s, plus
   * the beats' own round trips), and time left to store and announce it
   * (7,500 would spend the whole 30 s on noticing).
   */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(7_000)
  PRESENCE_HEARTBEAT_MS = 5_000;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  /**
   * `json` for one JSON object per line (log shippers), `text` for people
   * (pino-pretty). Default: `json` when NODE_ENV is `production`, else `text`.
   */
  @IsOptional()
  @IsIn(['json', 'text'])
  LOG_FORMAT?: 'json' | 'text';

  /** `production` makes JSON logs the default (the Dockerfile sets it). */
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  /**
   * When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`;
   * unset, it is public like /health.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  @Matches(/^[\x21-\x7e]+$/, { message: 'METRICS_TOKEN must be printable ASCII without spaces' })
  METRICS_TOKEN?: string;
}

/** The variables of `schema` (Env unless told), with defaults, or an error naming each bad one. */
export function validateEnv(raw: Record<string, unknown>): Env;
export function validateEnv<T extends object>(raw: Record<string, unknown>, schema: ClassConstructor<T>): T;
export function validateEnv(raw: Record<string, unknown>, schema: ClassConstructor<object> = Env): object {
  const env = plainToInstance(schema, stripEmpty(raw), { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const reason = Object.values(e.constraints ?? {}).join('; ');
      return `  ${e.property}: ${reason}`;
    });
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return env;
}

/** An empty variable means "use the default", as in most deployment tools. */
function stripEmpty(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
}
