import type { AppConfig } from '../config/app-config.js';
import type { Broadcaster } from '../realtime/broadcaster.js';
import { Authenticator } from './authenticator.js';
import type { CredentialsRepository } from './credentials.repository.js';
import { TokenService } from './token.service.js';

describe('Authenticator', () => {
  const tokens = new TokenService({
    authSecret: 's'.repeat(32),
    tokenTtlSeconds: 3_600,
    legacyTokensUntil: new Date('2027-03-01T00:00:00Z'),
  } as AppConfig);
  let version = 0;
  const credentials = { tokenVersion: () => Promise.resolve(version) } as unknown as CredentialsRepository;
  const authenticator = new Authenticator(tokens, credentials, {} as Broadcaster);

  it('refreshes at the version of the token presented, so a revocation meanwhile ends the new one too', async () => {
    version = 0;
    const claims = await authenticator.authenticate(tokens.issue('user_1', 0).token);
    version = 1; // revoked between the check and the refresh
    const refreshed = authenticator.refresh(claims!);
    expect(tokens.read(refreshed.token)).toMatchObject({ userId: 'user_1', version: 0 });
    expect(await authenticator.authenticate(refreshed.token)).toBeNull();
  });
});
