import { AppMetrics, annotateRequest } from '@consentry/observability';
import Provider, { KoaContextWithOIDC } from 'oidc-provider';

import { requestedIntentId } from './openbanking-intent.js';

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
// oidc-provider's error codes are a closed set of snake_case words; anything else is one label value.
const ERROR_CODE = /^[a-z_]{1,40}$/;

function grantTypeOf(ctx: KoaContextWithOIDC): string {
  const grantType = ctx.oidc?.params?.grant_type;
  return typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other';
}

function resultOf(error: unknown): string {
  const code = (error as { error?: unknown } | undefined)?.error;
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : 'server_error';
}

/** The consent a provider request is about: the one the code or refresh token was issued for, or the one PAR asks for. */
function consentIdOf(ctx: KoaContextWithOIDC): string | undefined {
  try {
    const { entities, params } = ctx.oidc;
    const source = entities.AuthorizationCode ?? entities.RotatedRefreshToken ?? entities.RefreshToken;
    return requestedIntentId(source?.claims) ?? requestedIntentId(params?.claims as string | undefined);
  } catch {
    // A malformed claims parameter: the provider has refused it already; nothing to name.
    return undefined;
  }
}

/**
 * The provider's share of the auth server's metrics and request lines: token requests counted by grant
 * type and result, and each request labelled with the provider's route name (bounded), the client and
 * the consent once the provider knows them.
 */
export function observeProvider(provider: Provider, metrics: AppMetrics): void {
  const tokenRequests = metrics.counter(
    'consentry_oauth_token_requests_total',
    'Token endpoint requests by grant type and result: success, or the OAuth error code answered.',
    ['grant_type', 'result'],
  );
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => tokenRequests.inc({ grant_type: grantTypeOf(ctx), result: 'success' }));
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: unknown) => tokenRequests.inc({ grant_type: grantTypeOf(ctx), result: resultOf(error) }));
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      const { oidc } = ctx as KoaContextWithOIDC;
      if (oidc) {
        annotateRequest(ctx.req, {
          route: oidc.route ? `oidc:${oidc.route}` : undefined,
          clientId: oidc.client?.clientId,
          consentId: consentIdOf(ctx as KoaContextWithOIDC),
        });
      }
    }
  });
}
