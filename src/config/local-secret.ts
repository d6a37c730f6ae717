import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** As AUTH_SECRET: anything shorter can be guessed offline from one token. */
const MIN_SECRET_LENGTH = 32;

/**
 * The embedded mode's signing secret: made once and kept next to the data,
 * so tokens survive restarts without any configuration. A file someone
 * edited down to a weak secret stops the start, as a short AUTH_SECRET does.
 */
export function localSecret(dataDir: string): string {
  const file = join(dataDir, 'auth-secret');
  const secret = readOrCreate(file);
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `${file} must hold at least ${MIN_SECRET_LENGTH} characters (delete it to have a new one made, which ends every token)`,
    );
  }
  return secret;
}

function readOrCreate(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(join(file, '..'), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') {
        throw error;
      }
    }
    return readFileSync(file, 'utf8').trim(); // ours, or one a concurrent start wrote first
  }
}
