import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { TokenClaims } from './token.service.js';

export interface AuthenticatedRequest extends Request {
  userId: string;
  /** What the caller's token says, as the guard checked it. */
  claims: TokenClaims;
}

/** The id of the authenticated caller, set by the auth guard. */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().userId,
);

/** The caller's token claims, as the auth guard checked them. */
export const CurrentClaims = createParamDecorator(
  (_: unknown, context: ExecutionContext): TokenClaims =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().claims,
);
