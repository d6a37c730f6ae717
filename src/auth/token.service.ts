import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';

/** What a genuine token says; whether it still counts is the Authenticator's call. */
export interface TokenClaims {
  userId: string;
  /** The user's token version when it was issued; revoking moves the version on. */
  version: number;
  expiresAt: Date;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

const MAX_TOKEN_LENGTH = 256;

/**
 * Bearer tokens are `<userId>.<expiry, unix seconds>.<version>.<HMAC-SHA256>`:
 * any instance that shares AUTH_SECRET can check one without a lookup, so
 * HTTP and the socket handshake share this single check. Tokens of the first
 * format, `<userId>.<HMAC(userId)>`, never expired; they count as version 0
 * until LEGACY_TOKENS_UNTIL.
 */
@Injectable()
export class TokenService {
  constructor(private readonly config: AppConfig) {}

  issue(userId: string, version: number): IssuedToken {
    const expiry = Math.floor(Date.now() / 1000) + this.config.tokenTtlSeconds;
    const claims = `${userId}.${expiry}.${version}`;
    return { token: `${claims}.${this.sign(`v1.${claims}`)}`, expiresAt: new Date(expiry * 1000) };
  }

  /** The token's claims, or null when it is not genuine or has expired. */
  read(token: unknown): TokenClaims | null {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
      return null;
    }
    const parts = token.split('.');
    const claims = parts.length === 4 ? this.current(parts) : parts.length === 2 ? this.legacy(parts) : null;
    return claims && claims.expiresAt.getTime() > Date.now() ? claims : null;
  }

  private current([userId, expiry, version, signature]: string[]): TokenClaims | null {
    if (!/^\d{1,12}$/.test(expiry) || !/^\d{1,9}$/.test(version) || userId === '') {
      return null;
    }
    return this.signed(`v1.${userId}.${expiry}.${version}`, signature)
      ? { userId, version: Number(version), expiresAt: new Date(Number(expiry) * 1000) }
      : null;
  }

  private legacy([userId, signature]: string[]): TokenClaims | null {
    return userId !== '' && this.signed(userId, signature)
      ? { userId, version: 0, expiresAt: this.config.legacyTokensUntil }
      : null;
  }

  private signed(text: string, signature: string): boolean {
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.sign(text));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(text: string): string {
    return createHmac('sha256', this.config.authSecret).update(text).digest('base64url');
  }
}
