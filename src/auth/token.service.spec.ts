import type { AppConfig } from '../config/app-config.js';
import { TokenService } from './token.service.js';

const tokensWith = (authSecret: string) => new TokenService({ authSecret } as AppConfig);

describe('TokenService', () => {
  const tokens = tokensWith('s'.repeat(32));

  it('verifies its own tokens to the user they were issued to', () => {
    expect(tokens.verify(tokens.issue('user_123'))).toBe('user_123');
  });

  it('accepts the token on any instance sharing the secret, and none with another secret', () => {
    const token = tokens.issue('user_123');
    expect(tokensWith('s'.repeat(32)).verify(token)).toBe('user_123');
    expect(tokensWith('t'.repeat(32)).verify(token)).toBeNull();
  });

  it.each([
    ['missing', undefined],
    ['not a string', 42],
    ['without a signature', 'user_123'],
    ['with an empty user', '.abc'],
    ['absurdly long', 'x'.repeat(1000)],
  ])('refuses a token that is %s', (_, token) => {
    expect(tokens.verify(token)).toBeNull();
  });

  it('refuses a signature moved to another user or altered', () => {
    const signature = tokens.issue('user_123').split('.')[1];
    expect(tokens.verify(`user_456.${signature}`)).toBeNull();
    expect(tokens.verify(`user_123.${signature.slice(0, -1)}x`)).toBeNull();
  });
});
