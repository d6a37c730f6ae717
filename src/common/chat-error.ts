/** The error codes of the contract, shared by both transports. */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** The HTTP status of each code; the one table both directions read. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/**
 * A failure the caller can act on. Services throw it; the HTTP filter and the
 * socket gateway each turn it into their transport's error shape.
 */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }

  static validation(details: string[]): ChatError {
    return new ChatError('validation_failed', `Validation failed: ${details.join('; ')}`, details);
  }
  static notFound(message: string): ChatError {
    return new ChatError('not_found', message);
  }
  static forbidden(message: string): ChatError {
    return new ChatError('forbidden', message);
  }
  static conflict(message: string): ChatError {
    return new ChatError('conflict', message);
  }
  static rateLimited(message: string): ChatError {
    return new ChatError('rate_limited', message);
  }
  /** A dependency is away or the instance is going away: retry, with the same messageId. */
  static unavailable(message: string): ChatError {
    return new ChatError('unavailable', message);
  }
}
