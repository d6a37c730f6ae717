import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { createValidationPipe } from './common/validation.js';
import { AppConfig } from './config/app-config.js';
import { RedisIoAdapter } from './realtime/redis-io.adapter.js';

export interface AppOptions {
  /** Overrides process.env, e.g. `{ PORT: '3001' }`. */
  env?: Record<string, string>;
  /** `false` silences Nest's logger (tests). */
  logger?: false;
}

/** Builds a fully wired instance; `main.ts` and the tests both start here. */
export async function createApp(options: AppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options.env), {
    bodyParser: false,
    abortOnError: false,
    // Held until the configured logger is in place, so LOG_LEVEL applies from the first line.
    bufferLogs: true,
  });
  const config = app.get(AppConfig);
  app.useLogger(
    options.logger ?? new ConsoleLogger({ json: config.logJson, logLevels: levelsFrom(config.logLevel) }),
  );
  app.useBodyParser('json', { limit: '64kb' });
  app.use(refuseForeignOrigins(config));
  app.enableCors({ origin: true });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.useWebSocketAdapter(new RedisIoAdapter(app));
  app.enableShutdownHooks();
  return app;
}

/**
 * Browsers send Origin on cross-site requests; one not on the allow-list is
 * refused outright rather than merely denied CORS headers.
 */
function refuseForeignOrigins(config: AppConfig) {
  return (request: Request, response: Response, next: NextFunction) => {
    if (config.isOriginAllowed(request.headers.origin)) {
      next();
      return;
    }
    response.status(403).json({ statusCode: 403, message: 'Origin not allowed', error: 'Forbidden' });
  };
}

function levelsFrom(level: AppConfig['logLevel']): AppConfig['logLevel'][] {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level as (typeof order)[number]) + 1);
}
