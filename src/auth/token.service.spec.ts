import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { AppConfig } from '../config/app-config.js';
import { TokenService } from './token.service.js';

const config = (authSecret: string) =>
  ({ authSecret, tokenTtlSeconds: 3_600, legacyTokensUntil: new Date('2027-03-01T00:00:00Z') }) as AppConfig;
const tokensWith = (authSecret: string) => new TokenService(config(authSecret));
const legacyToken = (userId: string, secret: string) =>
  `${userId}.${createHmac('sha256', secret).update(userId).digest('base64url')}`;

describe('TokenService', () => {
  const secret = 's'.repeat(32);
  const tokens = tokensWith(secret);

  beforeEach(() => jest.useFakeTimers({ now: new Date('2027-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('reads its own tokens back: the user, the version, the expiry TOKEN_TTL ahead', () => {
    const { token, expiresAt } = tokens.issue('user_123', 4);
    expect(expiresAt).toEqual(new Date('2027-01-01T01:00:00Z'));
    expect(tokens.read(token)).toEqual({ userId: 'user_123', version: 4, expiresAt });
  });

  it('accepts the token on any instance sharing the secret, and none with another secret', () => {
    const { token } = tokens.issue('user_123', 0);
    expect(tokensWith(secret).read(token)?.userId).toBe('user_123');
    expect(tokensWith('t'.repeat(32)).read(token)).toBeNull();
  });

  it('refuses a token once it has expired', () => {
    const { token } = tokens.issue('user_123', 0);
    jest.advanceTimersByTime(3_599_000);
    expect(tokens.read(token)).not.toBeNull();
    jest.advanceTimersByTime(1_000);
    expect(tokens.read(token)).toBeNull();
  });

  it.each([
    ['missing', undefined],
    ['not a string', 42],
    ['without a signature', 'user_123'],
    ['with an empty user', '.abc'],
    ['with three parts', 'user_123.1.abc'],
    ['absurdly long', 'x'.repeat(1000)],
  ])('refuses a token that is %s', (_, token) => {
    expect(tokens.read(token)).toBeNull();
  });

  it('refuses a token whose user, expiry, version or signature was altered', () => {
    const [user, expiry, version, signature] = tokens.issue('user_123', 2).token.split('.');
    expect(tokens.read(['user_456', expiry, version, signature].join('.'))).toBeNull();
    expect(tokens.read([user, String(Number(expiry) + 86_400), version, signature].join('.'))).toBeNull();
    expect(tokens.read([user, expiry, '3', signature].join('.'))).toBeNull();
    expect(tokens.read([user, expiry, version, `${signature.slice(0, -1)}x`].join('.'))).toBeNull();
  });

  it('accepts a token of the first format as version 0 until LEGACY_TOKENS_UNTIL, and never after', () => {
    const legacy = legacyToken('user_123', secret);
    expect(tokens.read(legacy)).toEqual({
      userId: 'user_123',
      version: 0,
      expiresAt: new Date('2027-03-01T00:00:00Z'),
    });
    expect(tokens.read(legacyToken('user_123', 't'.repeat(32)))).toBeNull();
    jest.setSystemTime(new Date('2027-03-01T00:00:00Z'));
    expect(tokens.read(legacy)).toBeNull();
  });
});
