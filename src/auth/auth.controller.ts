import { Controller, HttpCode, Post } from '@nestjs/common';
import { Authenticator } from './authenticator.js';
import { CurrentUser } from './current-user.decorator.js';

@Controller('auth')
export class AuthController {
  constructor(private readonly authenticator: Authenticator) {}

  /** A fresh token for a valid one: `{ token, expiresAt }`. */
  @Post('refresh')
  @HttpCode(200)
  async refresh(@CurrentUser() callerId: string): Promise<{ token: string; expiresAt: string }> {
    const { token, expiresAt } = await this.authenticator.refresh(callerId);
    return { token, expiresAt: expiresAt.toISOString() };
  }

  /** Ends every token the caller holds and disconnects their sockets everywhere. */
  @Post('revoke')
  @HttpCode(204)
  revoke(@CurrentUser() callerId: string): Promise<void> {
    return this.authenticator.revoke(callerId);
  }
}
