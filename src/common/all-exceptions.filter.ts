import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger as PinoLogger } from 'pino';
import { STATUS_CODES } from 'node:http';
import { HTTP_STATUS_BY_CODE } from './chat-error.js';
import { toChatError } from './to-chat-error.js';

/**
 * Catches everything thrown on the HTTP side, so every error leaves as Nest's
 * `{ statusCode, message, error }`. Unexpected failures are logged with a
 * request id that the body repeats (the one on the request's log lines), and their details never reach the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const [status, body] = this.describe(exception, request);
    response.status(status).json(body);
  }

  private describe(exception: unknown, request: Request): [number, object] {
    if (exception instanceof HttpException) {
      // Nest's own errors (unknown route, …) already have the shape; the body
      // parser's (body too large, …) carry a bare message.
      const status = exception.getStatus();
      const body = exception.getResponse();
      return [status, typeof body === 'object' ? body : httpError(status, body)];
    }
    const error = toChatError(exception);
    if (error) {
      const status = HTTP_STATUS_BY_CODE[error.code];
      return [status, httpError(status, error.details ?? error.message)];
    }
    // The id pino-http gave the request: the body repeats what its log lines carry.
    const { id, log } = request as Request & { id?: string | number; log?: PinoLogger };
    const requestId = id === undefined ? 'unknown' : String(id);
    const message = `${request.method} ${request.url} failed (request ${requestId})`;
    const stack = exception instanceof Error ? exception.stack : String(exception);
    if (log) {
      // The request's own logger: the line carries `requestId` as a field.
      log.error({ context: 'HTTP', stack }, message);
    } else {
      this.logger.error(message, stack);
    }
    return [500, { ...httpError(500, 'Internal server error'), requestId }];
  }
}

/** Nest's usual error body. */
function httpError(status: number, message: string | string[]) {
  return { statusCode: status, message, error: STATUS_CODES[status] ?? 'Error' };
}
