import { ACCESS_TOKEN_GRANT_CLAIM, findConsentAccess, findPaymentConsentAccess, isConsentLive, isPaymentConsentId, isPaymentConsentLive } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { createLocalJWKSet, JWK, JWTPayload, jwtVerify } from 'jose';
import Provider, { KoaContextWithOIDC } from 'oidc-provider';

import { OPENBANKING_INTENT_ID } from './openbanking-intent.js';
import { RevokedAccessTokens } from './revoked-access-tokens.js';
import { SigningJwks } from './signing-keys.js';
import { noteAccessTokenRevoked } from './token-audit.listener.js';
import { tppIsActive } from './tpp-client.adapter.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The public half of a signing key set: what `/jwks` publishes. */
export function publicJwks(jwks: SigningJwks): { keys: JWK[] } {
  return {
    keys: jwks.keys.map((key) => {
      const copy: Record<string, unknown> = { ...key };
      for (const member of PRIVATE_MEMBERS) delete copy[member];
      return copy as JWK;
    }),
  };
}

interface AccessTokenClaims extends JWTPayload {
  client_id?: string;
  scope?: string;
  cnf?: { jkt?: string };
  [OPENBANKING_INTENT_ID]?: string;
  [ACCESS_TOKEN_GRANT_CLAIM]?: string;
}

const INACTIVE = { active: false } as const;

/**
 * Whether the token's own grant is still its consent's, and still exists: a re-authentication gives the
 * consent a new grant, and a token of the one it replaced is refused, as the API refuses it.
 */
async function grantOfConsentExists(dataSource: DataSource, consentId: string, grantId: string | undefined): Promise<boolean> {
  if (typeof grantId !== 'string') return false;
  // Account-access and payment consents alike: the consent's id says which table holds it.
  const table = isPaymentConsentId(consentId) ? 'payment_consent' : 'account_access_consent';
  const rows: unknown[] = await dataSource.query(
    `SELECT 1 FROM ${table} c JOIN oidc_model g ON g.model = 'Grant' AND g.id = c.grant_id
      WHERE c.consent_id = $1 AND c.grant_id = $2 AND (g.expires_at IS NULL OR g.expires_at > now())`,
    [consentId, grantId],
  );
  return rows.length > 0;
}

/** Whether the consent a token names is its client's and usable now (AUTH, unexpired), whatever its kind. */
async function consentIsLive(dataSource: DataSource, consentId: string, clientId: string): Promise<boolean> {
  if (isPaymentConsentId(consentId)) {
    const consent = await findPaymentConsentAccess(dataSource, consentId);
    return consent !== null && consent.clientId === clientId && isPaymentConsentLive(consent);
  }
  const consent = await findConsentAccess(dataSource, consentId);
  return consent !== null && consent.clientId === clientId && isConsentLive(consent);
}

/**
 * RFC 7662 for our JWT access tokens. oidc-provider introspects only the tokens it stores (refresh
 * tokens, opaque tokens) and answers `unsupported_token_type` for structured ones; after its client
 * authentication has run, this middleware answers those instead. A JWT is active when its signature
 * (our published keys), issuer and expiry check out, the caller may see it (its own client, or the API),
 * its client is still an Active TPP, and the consent it names is still authorised, unexpired and backed
 * by its grant (revoking a consent, replaying its code or revoking its refresh token ends its tokens).
 */
export function introspectJwtAccessTokens(
  provider: Provider,
  deps: { dataSource: DataSource; jwks: SigningJwks; apiClientId?: string; revokedAccessTokens: RevokedAccessTokens },
): void {
  const keys = createLocalJWKSet(publicJwks(deps.jwks));

  /** The claims of one of our JWT access tokens, or null when it is not one (signature, issuer, type, expiry). */
  async function verified(token: string): Promise<AccessTokenClaims | null> {
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, keys, { issuer: provider.issuer, typ: 'at+jwt', algorithms: ['PS256', 'ES256'] });
      return payload;
    } catch {
      return null;
    }
  }

  async function introspect(callerId: string, token: string): Promise<Record<string, unknown>> {
    const claims = await verified(token);
    if (!claims) return INACTIVE;
    const clientId = claims.client_id;
    if (!clientId || (clientId !== callerId && callerId !== deps.apiClientId)) return INACTIVE;
    if (typeof claims.jti !== 'string' || (await deps.revokedAccessTokens.isRevoked(clientId, claims.jti))) return INACTIVE;
    // From the row, not the client cache: a suspended TPP's tokens stop working at once.
    if (!(await tppIsActive(deps.dataSource, clientId))) return INACTIVE;
    const consentId = claims[OPENBANKING_INTENT_ID];
    if (consentId !== undefined) {
      if (!(await consentIsLive(deps.dataSource, consentId, clientId))) return INACTIVE;
      // The token's grant must still be the consent's and exist: a replayed code or a revoked refresh token
      // deletes it, a re-authentication replaces it.
      if (!(await grantOfConsentExists(deps.dataSource, consentId, claims[ACCESS_TOKEN_GRANT_CLAIM]))) return INACTIVE;
    }
    return {
      active: true,
      iss: claims.iss,
      client_id: clientId,
      sub: claims.sub,
      aud: claims.aud,
      scope: claims.scope,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: claims.cnf?.jkt ? 'DPoP' : 'Bearer',
      ...(claims.cnf ? { cnf: claims.cnf } : {}),
      ...(consentId !== undefined ? { [OPENBANKING_INTENT_ID]: consentId } : {}),
    };
  }

  /**
   * RFC 7009 for a JWT access token: oidc-provider refuses structured tokens; this ends exactly that
   * token (its jti), not its grant. A token that is not ours, or expired, is answered 200 with nothing
   * to do (RFC 7009 2.2); another client's token is refused as oidc-provider refuses it.
   */
  async function revoke(ctx: KoaContextWithOIDC, callerId: string, token: string): Promise<void> {
    const claims = await verified(token);
    ctx.set('cache-control', 'no-store');
    if (claims && claims.client_id !== callerId) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
      return;
    }
    if (claims && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
      await deps.revokedAccessTokens.revoke(callerId, claims.jti, claims.exp);
      noteAccessTokenRevoked(ctx, claims[OPENBANKING_INTENT_ID]);
    }
    ctx.status = 200;
    ctx.body = '';
  }

  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if ((oidc?.route !== 'introspection' && oidc?.route !== 'revocation') || ctx.status !== 400) return;
    if ((ctx.body as { error?: string } | undefined)?.error !== 'unsupported_token_type') return;
    const token = oidc.params?.token;
    if (!oidc.client || typeof token !== 'string') return;
    if (oidc.route === 'revocation') return revoke(ctx as KoaContextWithOIDC, oidc.client.clientId, token);
    ctx.body = await introspect(oidc.client.clientId, token);
    ctx.status = 200;
  });
}
