import type { Params } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { DestinationStream, Level } from 'pino';
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

/** A caller's own request id is kept when it is a plain token; anything else gets a fresh one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface LogOutput {
  /** Silences every line (tests). */
  silent?: boolean;
  /** Writes the lines here instead of stdout (tests read them). */
  stream?: DestinationStream;
}

/**
 * nestjs-pino's settings: one JSON object per line (LOG_FORMAT=json, the
 * default in production) or pino-pretty's coloured lines, at LOG_LEVEL. Every
 * HTTP request gets an id (the caller's `X-Request-Id` when sane, else a new
 * one), answered in `X-Request-Id` and carried as `requestId` by every line
 * logged while serving it. Bodies are never logged; credentials are redacted.
 */
export function loggerParams(config: AppConfig, output: LogOutput = {}): Params {
  const pretty = !config.logJson && !output.stream && prettyAvailable();
  const options = {
    level: output.silent ? 'silent' : PINO_LEVEL[config.logLevel],
    redact: REDACTED,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      response.setHeader('X-Request-Id', id);
      return id;
    },
    // Probes and scrapes every few seconds would drown the rest.
    autoLogging: { ignore: (request: IncomingMessage) => /^\/(health\/|metrics\b)/.test(request.url ?? '') },
    // The status is what a reader needs of the answer; its headers are noise.
    serializers: { res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }) },
    ...(pretty && { transport: { target: 'pino-pretty', options: { singleLine: true } } }),
  };
  return { pinoHttp: output.stream ? [options, output.stream] : options };
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
