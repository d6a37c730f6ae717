import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localSecret } from './local-secret.js';

describe('localSecret', () => {
  it('makes a strong secret once and keeps it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'secret-')), 'data');
    const secret = localSecret(dir);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(localSecret(dir)).toBe(secret);
    expect(readFileSync(join(dir, 'auth-secret'), 'utf8')).toBe(secret);
  });

  it('refuses a secret file shorter than 32 characters, as it refuses a short AUTH_SECRET', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    writeFileSync(join(dir, 'auth-secret'), 'short\n');
    expect(() => localSecret(dir)).toThrow(/auth-secret must hold at least 32 characters/);
  });
});
