import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { LogLevel } from '@nestjs/common';
import { Env } from './env.js';
import { localSecret } from './local-secret.js';

/** Typed, read-only access to the validated environment. */
@Injectable()
export class AppConfig {
  readonly port: number;
  /** Null: the embedded database under `dataDir`. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly databasePoolSize: number;
  /** Null: no Redis; broadcasts and rate limits stay in this process. */
  readonly redisUrl: string | null;
  readonly authSecret: string;
  /** `null` means every origin is allowed. */
  readonly corsOrigins: ReadonlySet<string> | null;
  readonly rateLimit: { perSecond: number; burst: number };
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly logJson: boolean;

  constructor(config: ConfigService<Env, true>) {
    const get = <K extends keyof Env>(key: K): Env[K] => config.get(key, { infer: true });
    this.port = get('PORT');
    this.databaseUrl = get('DATABASE_URL') ?? null;
    this.dataDir = get('DATA_DIR');
    this.databasePoolSize = get('DATABASE_POOL_SIZE');
    this.redisUrl = get('REDIS_URL') ?? null;
    this.authSecret = get('AUTH_SECRET') ?? localSecret(this.dataDir);
    this.corsOrigins = parseOrigins(get('CORS_ORIGINS'));
    this.rateLimit = { perSecond: get('RATE_LIMIT_PER_SECOND'), burst: get('RATE_LIMIT_BURST') };
    this.shutdownTimeoutMs = get('SHUTDOWN_TIMEOUT_MS');
    this.logLevel = get('LOG_LEVEL') as LogLevel;
    this.logJson = get('LOG_FORMAT') === 'json';
  }

  isOriginAllowed(origin: string | undefined): boolean {
    // Requests without an Origin header do not come from a browser page, so
    // there is no cross-site request to guard against.
    return origin === undefined || this.corsOrigins === null || this.corsOrigins.has(origin);
  }
}

function parseOrigins(value: string): ReadonlySet<string> | null {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  return origins.includes('*') ? null : new Set(origins);
}
