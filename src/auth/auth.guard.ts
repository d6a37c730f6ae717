import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ChatError } from '../common/chat-error.js';
import type { AuthenticatedRequest } from './current-user.decorator.js';
import { IS_PUBLIC } from './public.decorator.js';
import { Authenticator } from './authenticator.js';

/**
 * Global HTTP guard: every route needs a bearer token unless marked @Public().
 * (Sockets are authenticated once, at the handshake, by the gateway.)
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const claims = await this.authenticator.authenticate(bearerToken(request.headers.authorization));
    if (!claims) {
      throw new ChatError(
        'unauthorized',
        'A valid bearer token is required: unexpired, not revoked (POST /auth/refresh renews one in time)',
      );
    }
    request.userId = claims.userId;
    request.claims = claims;
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
