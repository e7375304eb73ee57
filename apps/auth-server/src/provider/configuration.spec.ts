import { AuthorizationCode, Client, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { describe, expect, it } from 'vitest';

import { createConfiguration, ProviderSettings } from './configuration.js';

type IssueRefreshToken = NonNullable<Configuration['issueRefreshToken']>;

/** The consents of this test by id, and whether their kind lasts (what the factory reads from the consent). */
const LASTING: Record<string, boolean> = {
  'aac-account-access': true,
  'pc-domestic-payment': false,
  'pc-domestic-vrp': true,
};

function issueRefreshToken(): IssueRefreshToken {
  const settings: ProviderSettings = {
    apiUrl: 'http://localhost:3000',
    accessTokenTtl: 300,
    jwks: { keys: [] },
    cookieKeys: ['k'],
    dpopNonceSecret: Buffer.alloc(32),
    adapter: () => {
      throw new Error('no storage in this test');
    },
    findAccount: () => undefined,
    isClientActive: async () => true,
    consentGetsRefreshTokens: async (consentId) => LASTING[consentId] ?? false,
  };
  return createConfiguration(settings).issueRefreshToken!;
}

// Only what issueRefreshToken reads of the client and of the code being exchanged.
function tppClient(refreshTokenGrant: boolean): Client {
  const client: Pick<Client, 'grantTypeAllowed'> = { grantTypeAllowed: (type) => refreshTokenGrant && type === 'refresh_token' };
  return client as unknown as Client;
}

function codeFor(consentId: string, scope: string): AuthorizationCode {
  const member = { openbanking_intent_id: { value: consentId, essential: true } };
  const code: Pick<AuthorizationCode, 'scopes' | 'claims'> = { scopes: new Set(scope.split(' ')), claims: { id_token: member, userinfo: member } };
  return code as unknown as AuthorizationCode;
}

const ctx = {} as KoaContextWithOIDC;

describe('issueRefreshToken', () => {
  it('gives no refresh token to a domestic payment grant, whatever scope it carries', async () => {
    for (const scope of ['openid payments', 'openid payments accounts', 'openid accounts']) {
      expect(await issueRefreshToken()(ctx, tppClient(true), codeFor('pc-domestic-payment', scope))).toBe(false);
    }
  });

  it('gives a refresh token to an account-access grant and to a VRP grant', async () => {
    expect(await issueRefreshToken()(ctx, tppClient(true), codeFor('aac-account-access', 'openid accounts'))).toBe(true);
    expect(await issueRefreshToken()(ctx, tppClient(true), codeFor('pc-domestic-vrp', 'openid payments'))).toBe(true);
  });

  it('gives none to a client without the refresh_token grant, nor to a code naming no consent', async () => {
    expect(await issueRefreshToken()(ctx, tppClient(false), codeFor('aac-account-access', 'openid accounts'))).toBe(false);
    const bare: Pick<AuthorizationCode, 'scopes' | 'claims'> = { scopes: new Set(['openid', 'accounts']), claims: undefined };
    expect(await issueRefreshToken()(ctx, tppClient(true), bare as unknown as AuthorizationCode)).toBe(false);
  });
});
