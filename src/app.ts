import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { AppModule } from './app.module.js';
import { buildAsyncApiDocument, serveAsyncApi } from './api-docs/asyncapi.js';
import { buildOpenApiDocument, serveOpenApi } from './api-docs/openapi.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { HTTP_TIMEOUTS, MAX_PAYLOAD_BYTES } from './common/limits.js';
import { ownOrigin } from './common/own-origin.js';
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
  app.use(helmet({ contentSecurityPolicy: { directives: CONTENT_SECURITY_POLICY } }));
  limitRequestTime(app.getHttpServer());
  app.use(refuseForeignOrigins(config));
  serveWebClient(app, config);
  app.enableCors({ origin: true });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useWebSocketAdapter(new ChatIoAdapter(app));
  serveOpenApi(app, buildOpenApiDocument(app));
  serveAsyncApi(app, buildAsyncApiDocument(app));
  app.enableShutdownHooks();
  return app;
}

/**
 * Helmet's defaults (scripts, styles, fonts and connections from this origin
 * only; no inline script, no plugins, no framing) with two changes the web
 * client needs. Avatars are any http(s) URL a person gave (§1). And no
 * `upgrade-insecure-requests`: the service is often reached over plain HTTP
 * (embedded mode on a laptop, a LAN address, the test cluster), where
 * upgrading its own page's requests to https would break the page; TLS is
 * the proxy's job, and so is HSTS for it.
 */
const CONTENT_SECURITY_POLICY = {
  'img-src': ["'self'", 'data:', 'https:', 'http:'],
  'upgrade-insecure-requests': null,
};

/**
 * The built web client (web/, built into WEB_DIR): `/` is its page and
 * `/assets/` its hashed files. Nothing else is looked up on disk, so every
 * API route, `/socket.io` (answered by Socket.IO before Express) and the
 * JSON 404 of unknown paths stay as they are.
 */
function serveWebClient(app: NestExpressApplication, config: AppConfig): void {
  const page = join(config.webDir, 'index.html');
  if (!existsSync(page)) {
    return;
  }
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (request.path !== '/' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      next();
      return;
    }
    // Always revalidated, so a deploy's new asset names are picked up on the next load.
    response.sendFile(page, { headers: { 'Cache-Control': 'no-cache' } });
  });
  // Names carry a content hash: a file never changes under its name.
  app.useStaticAssets(join(config.webDir, 'assets'), {
    prefix: '/assets/',
    index: false,
    immutable: true,
    maxAge: '1y',
  });
}

function limitRequestTime(server: Server): void {
  server.headersTimeout = HTTP_TIMEOUTS.headersMs;
  server.requestTimeout = HTTP_TIMEOUTS.requestMs;
  server.keepAliveTimeout = HTTP_TIMEOUTS.keepAliveMs;
}

/**
 * Browsers send Origin on cross-site requests; one not on the allow-list is
 * refused outright rather than merely denied CORS headers. The service's own
 * origin always passes: its web client is same-origin.
 */
function refuseForeignOrigins(config: AppConfig) {
  return (request: Request, response: Response, next: NextFunction) => {
    if (config.isOriginAllowed(request.headers.origin, ownOrigin(request))) {
      next();
      return;
    }
    response.status(403).json({ statusCode: 403, message: 'Origin not allowed', error: 'Forbidden' });
  };
}
