import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Server } from 'node:http';
import { AppModule } from './app.module.js';
import { buildAsyncApiDocument, serveAsyncApi } from './api-docs/asyncapi.js';
import { buildOpenApiDocument, serveOpenApi } from './api-docs/openapi.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { HTTP_TIMEOUTS, MAX_PAYLOAD_BYTES } from './common/limits.js';
import { createValidationPipe } from './common/validation.js';
import { AppConfig } from './config/app-config.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { Metrics } from './metrics/metrics.js';
import { ChatIoAdapter } from './realtime/chat-io.adapter.js';

export interface AppOptions {
  /** Overrides process.env, e.g. `{ PORT: '3001' }`. */
  env?: Record<string, string>;
  /** `false` silences the logs (tests). */
  logger?: false;
  /** Where the log lines go instead of stdout (tests read them). */
  logStream?: DestinationStream;
}

/** Builds a fully wired instance; `main.ts` and the tests both start here. */
export async function createApp(options: AppOptions = {}): Promise<INestApplication> {
  const config = AppConfig.load(options.env);
  const logOutput = { silent: options.logger === false, stream: options.logStream };
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logOutput), {
    bodyParser: false,
    abortOnError: false,
    // Held until the configured logger is in place, so LOG_LEVEL applies from the first line.
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // First, so that every answer is counted, refusals included.
  app.use(httpMetrics(app.get(Metrics)));
  app.useBodyParser('json', { limit: MAX_PAYLOAD_BYTES });
  // Whose address a request comes from (the sign-up limit): the connection's, or X-Forwarded-For's behind TRUST_PROXY.
  app.set('trust proxy', config.trustProxy);
  // Security headers on every answer, and no X-Powered-By.
  app.use(helmet());
  limitRequestTime(app.getHttpServer());
  app.use(refuseForeignOrigins(config));
  app.enableCors({ origin: true });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useWebSocketAdapter(new ChatIoAdapter(app));
  serveOpenApi(app, buildOpenApiDocument(app));
  serveAsyncApi(app, buildAsyncApiDocument(app));
  app.enableShutdownHooks();
  return app;
}

function limitRequestTime(server: Server): void {
  server.headersTimeout = HTTP_TIMEOUTS.headersMs;
  server.requestTimeout = HTTP_TIMEOUTS.requestMs;
  server.keepAliveTimeout = HTTP_TIMEOUTS.keepAliveMs;
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
