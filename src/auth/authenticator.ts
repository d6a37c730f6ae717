import { Injectable } from '@nestjs/common';
import { Broadcaster } from '../realtime/broadcaster.js';
import { CredentialsRepository } from './credentials.repository.js';
import { TokenService, type IssuedToken, type TokenClaims } from './token.service.js';

/**
 * Who a bearer token speaks for, on HTTP and at the socket handshake alike:
 * a genuine, unexpired token of the user's current token version. The
 * version is read from Postgres on each check, so a revocation holds on every
 * instance at once; sockets, checked once at the handshake, are disconnected
 * by the revocation and by their own expiry.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly credentials: CredentialsRepository,
    private readonly broadcaster: Broadcaster,
  ) {}

  async authenticate(token: unknown): Promise<TokenClaims | null> {
    const claims = this.tokens.read(token);
    if (!claims) {
      return null;
    }
    const version = await this.credentials.tokenVersion(claims.userId);
    return version === claims.version ? claims : null;
  }

  /**
   * A fresh token of the presented token's version (a first-format token is
   * exchanged too). Not the version read afresh: a revocation committed
   * since the presented token was checked would be outlived by the new one.
   */
  refresh({ userId, version }: TokenClaims): IssuedToken {
    return this.tokens.issue(userId, version);
  }

  /** Ends every token the caller holds, and disconnects every socket of theirs on every instance. */
  async revoke(callerId: string): Promise<void> {
    await this.credentials.bumpTokenVersion(callerId);
    this.broadcaster.disconnectUser(callerId);
  }
}
