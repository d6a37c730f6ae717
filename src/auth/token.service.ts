import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';

/**
 * Bearer tokens are `<userId>.<HMAC-SHA256(userId)>`: any instance that shares
 * AUTH_SECRET can verify one without a lookup, so HTTP and the socket
 * handshake share this single check.
 */
@Injectable()
export class TokenService {
  constructor(private readonly config: AppConfig) {}

  issue(userId: string): string {
    return `${userId}.${this.sign(userId)}`;
  }

  /** The user id the token was issued to, or null when it is not genuine. */
  verify(token: unknown): string | null {
    if (typeof token !== 'string' || token.length > 256) {
      return null;
    }
    const dot = token.lastIndexOf('.');
    if (dot <= 0) {
      return null;
    }
    const userId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.sign(userId));
    return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null;
  }

  private sign(userId: string): string {
    return createHmac('sha256', this.config.authSecret).update(userId).digest('base64url');
  }
}
