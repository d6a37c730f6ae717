import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Level } from 'pino';
import { pinoHttp, type HttpLogger, type Options as HttpLoggerOptions } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import type { LogLevel } from '../config/env.js';

/** Nest's level names as pino's (`log` is pino's `info`, `verbose` its `trace`). */
const PINO_LEVEL: Record<LogLevel, Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Where a log line could carry a credential; pino writes `[Redacted]` instead. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-metrics-token"]',
  'res.headers["set-cookie"]',
];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The id of a request or a socket's handshake: the caller's `X-Request-Id`
 * when it is a plain token, anything else gets a fresh one.
 */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface LogOutput {
  /** Silences every line (tests). */
  silent?: boolean;
  /** Writes the lines here instead of stdout (tests read them). */
  stream?: DestinationStream;
}

/** The service's logging, set up once per application. */
export interface AppLogging {
  /** nestjs-pino's: Nest's logger (and `PinoLogger`) writing through the same pino logger. */
  moduleParams: Params;
  /** pino-http, mounted in front of the routes: each request's id, header and `request completed` line. */
  requestLogging: HttpLogger;
}

/**
 * One JSON object per line (LOG_FORMAT=json, the default in production) or
 * pino-pretty's coloured lines, at LOG_LEVEL. Every HTTP request gets an id
 * (the caller's `X-Request-Id` when sane, else a new one), answered in
 * `X-Request-Id` and carried as `requestId` by the request's own lines
 * (`request completed`, and a failure's, which logs through `request.log`).
 * Bodies are never logged; credentials are redacted.
 *
 * nestjs-pino would also tie every other line logged while a request is
 * served to it, through AsyncLocalStorage; on Node 20 that turns on a hook
 * for every promise the process makes from the first request on, and cost
 * the socket path 8 % of an instance's CPU per message (README,
 * Performance). So its own per-request middleware is mounted nowhere
 * (`forRoutes: []`) and pino-http runs on its own.
 */
export function createLogging(config: AppConfig, output: LogOutput = {}): AppLogging {
  // A silent logger (tests) starts no pretty-printing worker thread.
  const pretty = !output.silent && !config.logJson && !output.stream && prettyAvailable();
  const logger = pino(
    {
      level: output.silent ? 'silent' : PINO_LEVEL[config.logLevel],
      redact: REDACTED,
      ...(pretty && { transport: { target: 'pino-pretty', options: { singleLine: true } } }),
    },
    output.stream,
  );
  const http: HttpLoggerOptions = {
    logger,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (request, response) => {
      const id = requestIdFrom(request.headers['x-request-id']);
      response.setHeader('X-Request-Id', id);
      return id;
    },
    // Probes and scrapes every few seconds would drown the rest.
    autoLogging: { ignore: (request) => /^\/(health\/|metrics\b)/.test(request.url ?? '') },
    // The status is what a reader needs of the answer; its headers are noise.
    serializers: { res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }) },
  };
  return { moduleParams: { pinoHttp: http, forRoutes: [] }, requestLogging: pinoHttp(http) };
}

/**
 * pino-pretty is a dev dependency: a production image (`npm ci --omit=dev`)
 * asked for text logs writes JSON rather than failing to start.
 */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
