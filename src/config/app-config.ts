import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { LogLevel } from '@nestjs/common';
import { Env } from './env.js';

/** Typed, read-only access to the validated environment. */
@Injectable()
export class AppConfig {
  readonly port: number;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly redisUrl: string;
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
    this.databaseUrl = get('DATABASE_URL');
    this.databasePoolSize = get('DATABASE_POOL_SIZE');
    this.redisUrl = get('REDIS_URL');
    this.authSecret = get('AUTH_SECRET');
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
