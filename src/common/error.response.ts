import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** Nest's usual error body, the one HTTP error shape (all-exceptions.filter.ts). */
export class ErrorResponse {
  @ApiProperty({ type: 'integer', example: 404 })
  statusCode: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What went wrong; a validation error lists every bad field',
  })
  message: string | string[];

  @ApiProperty({ example: 'Not Found' })
  error: string;

  @ApiPropertyOptional({ description: 'On a 500 only: the id under which the failure was logged' })
  requestId?: string;
}

const WHEN: Record<number, string> = {
  400: 'A malformed or unknown field',
  401: 'A missing, bad, expired or revoked bearer token',
  403: 'Not allowed: not a participant, not the sender, or a direct room',
  404: 'Unknown room, user or message',
  409: 'The messageId was used in this room for something else, or the message is deleted',
  413: 'A body over 64 KiB',
  429: 'Over the rate limit',
  503: 'A dependency (Postgres) is unavailable or the instance is shutting down; retry',
};

/** Documents the error answers a route can give, each with the one error body. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...statuses.map((status) =>
      ApiResponse({ status, description: WHEN[status] ?? STATUS_CODES[status], type: ErrorResponse }),
    ),
  );
