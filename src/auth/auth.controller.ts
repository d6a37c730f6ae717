import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error.response.js';
import { Authenticator } from './authenticator.js';
import { CurrentClaims, CurrentUser } from './current-user.decorator.js';
import type { TokenClaims } from './token.service.js';
import { TokenResponse } from './token.response.js';

@ApiTags('auth')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('auth')
export class AuthController {
  constructor(private readonly authenticator: Authenticator) {}

  /** A fresh token for a valid one: `{ token, expiresAt }`. */
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({
    type: TokenResponse,
    description: 'A fresh token; the old one stays valid until it expires',
  })
  refresh(@CurrentClaims() claims: TokenClaims): TokenResponse {
    const { token, expiresAt } = this.authenticator.refresh(claims);
    return { token, expiresAt: expiresAt.toISOString() };
  }

  /** Ends every token the caller holds and disconnects their sockets everywhere. */
  @Post('revoke')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "Every token of the caller's ended; their sockets disconnected" })
  revoke(@CurrentUser() callerId: string): Promise<void> {
    return this.authenticator.revoke(callerId);
  }
}
