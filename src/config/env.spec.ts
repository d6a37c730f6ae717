import { validateEnv } from './env.js';

const valid = {
  DATABASE_URL: 'postgres://postgres@localhost:5432/chat',
  REDIS_URL: 'redis://localhost:6379',
  AUTH_SECRET: 'x'.repeat(32),
};

describe('validateEnv', () => {
  it('fills defaults and converts numbers', () => {
    const env = validateEnv({ ...valid, PORT: '8080', CORS_ORIGINS: '' });
    expect(env).toMatchObject({
      PORT: 8080,
      CORS_ORIGINS: '*',
      RATE_LIMIT_PER_SECOND: 20,
      RATE_LIMIT_BURST: 40,
      PRESENCE_HEARTBEAT_MS: 5_000,
    });
  });

  it('keeps the presence heartbeat short enough for a dead instance to show within 30 s', () => {
    expect(validateEnv({ ...valid, PRESENCE_HEARTBEAT_MS: '500' }).PRESENCE_HEARTBEAT_MS).toBe(500);
    expect(validateEnv({ ...valid, PRESENCE_HEARTBEAT_MS: '7000' }).PRESENCE_HEARTBEAT_MS).toBe(7_000);
    expect(() => validateEnv({ ...valid, PRESENCE_HEARTBEAT_MS: '7500' })).toThrow(/PRESENCE_HEARTBEAT_MS/);
    expect(() => validateEnv({ ...valid, PRESENCE_HEARTBEAT_MS: 'soon' })).toThrow(/PRESENCE_HEARTBEAT_MS/);
  });

  it('refuses values the service would start with and then fail on', () => {
    for (const [name, value] of [
      ['DATABASE_POOL_SIZE', '1'], // the migration lock and the migrations need a connection each
      ['TOKEN_TTL', '0'], // every token expired when issued
      ['TOKEN_TTL', '0d'],
      ['SHUTDOWN_TIMEOUT_MS', '3000000000'], // past a timer's range: no drain at all
    ]) {
      expect(() => validateEnv({ ...valid, [name]: value })).toThrow(new RegExp(name));
    }
    expect(validateEnv({ ...valid, DATABASE_POOL_SIZE: '2', TOKEN_TTL: '90m' })).toMatchObject({
      DATABASE_POOL_SIZE: 2,
      TOKEN_TTL: '90m',
    });
  });

  it('names every bad variable', () => {
    const attempt = () =>
      validateEnv({ ...valid, PORT: 'eighty', AUTH_SECRET: 'short', DATABASE_URL: 'mysql://x' });
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/AUTH_SECRET must be at least 32 characters/);
    expect(attempt).toThrow(/DATABASE_URL must be a postgres:\/\/ URL/);
  });

  it('requires the secret with a shared database, and nothing at all in embedded mode', () => {
    expect(() => validateEnv({ DATABASE_URL: valid.DATABASE_URL })).toThrow(/AUTH_SECRET is required/);
    const env = validateEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.DATA_DIR).toBe('./data');
  });
});
