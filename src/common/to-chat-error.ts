import { HttpException } from '@nestjs/common';
import { ChatError, HTTP_STATUS_BY_CODE, type ErrorCode } from './chat-error.js';

// Postgres SQLSTATE classes and driver errors that mean "the database is not
// there right now", as opposed to a bug: the caller may retry.
// 57014: statement_timeout, a database too slow to answer.
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-4]|57014)/;
const UNAVAILABLE_MESSAGES =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

export function isDependencyUnavailable(error: unknown): boolean {
  const candidates = [error, (error as { driverError?: unknown })?.driverError];
  // Duck-typed rather than `instanceof Error`: driver errors may come from
  // another realm (a VM context under test) and still be errors.
  return candidates.some((e) => {
    if (typeof e !== 'object' || e === null) {
      return false;
    }
    const { code, message } = e as { code?: unknown; message?: unknown };
    return (
      (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.test(code) || /^E[A-Z]+$/.test(code))) ||
      (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message))
    );
  });
}

/**
 * Any thrown value as a contract error. `null` means an unexpected failure:
 * the caller logs it and answers `internal` without details.
 */
export function toChatError(error: unknown): ChatError | null {
  if (error instanceof ChatError) {
    return error;
  }
  if (error instanceof HttpException) {
    return fromHttpException(error);
  }
  if (isDependencyUnavailable(error)) {
    return ChatError.unavailable(
      'A dependency is unavailable; retry later with the same messageId (a retry never stores a message twice)',
    );
  }
  return null;
}

const CODE_BY_STATUS = new Map<number, ErrorCode>([
  ...Object.entries(HTTP_STATUS_BY_CODE).map(([code, status]) => [status, code as ErrorCode] as const),
  [413, 'validation_failed'], // a body over the limit: a payload the caller must change
]);

function fromHttpException(error: HttpException): ChatError {
  return new ChatError(CODE_BY_STATUS.get(error.getStatus()) ?? 'internal', error.message);
}
