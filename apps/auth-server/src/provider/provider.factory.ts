import { AuthServerConfig } from '@consentry/config';
import { findPaymentConsentAccess, isPaymentConsentId, isRecurringPaymentConsent } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { Logger } from '@nestjs/common';
import Provider, { JWKS, KoaContextWithOIDC } from 'oidc-provider';

import { FAPI_INTERACTION_ID_HEADER, fapiInteractionIdOf } from '../fapi-interaction-id.js';
import { createConfiguration } from './configuration.js';
import { introspectJwtAccessTokens } from './jwt-introspection.js';
import { PostgresAdapter } from './postgres.adapter.js';
import { createFindAccount } from './psu-account.js';
import { RedisReplayMarkers, useReplayMarkers } from './replay-markers.js';
import { RevokedAccessTokens } from './revoked-access-tokens.js';
import { ServerSecrets } from './server-secrets.js';
import { SigningJwks } from './signing-keys.js';
import { auditTokenEvents } from './token-audit.listener.js';
import { TppClientAdapter, tppIsActive } from './tpp-client.adapter.js';
import { TppClientCache } from './tpp-client.cache.js';

// The policy of every answer the provider writes: no script, no framing, no base (its own pages add their own).
const PROVIDER_CSP = "default-src 'none'; script-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/** A policy whose `script-src` gained a script's hash keeps the hash alone: `'none'` beside a source is ignored by browsers, but is no source list to leave. */
function withoutNoneBesideHashes(policy: string): string {
  return policy
    .split(';')
    .map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return name === 'script-src' && sources.some((source) => source.startsWith("'sha256-")) ? [name, ...sources.filter((source) => source !== "'none'")].join(' ') : directive.trim();
    })
    .join('; ');
}

export interface ProviderDependencies {
  issuer: string;
  config: Pick<AuthServerConfig, 'apiUrl' | 'accessTokenTtl' | 'trustProxy'>;
  dataSource: DataSource;
  jwks: SigningJwks;
  secrets: ServerSecrets;
  /** Single-use markers of client assertion and DPoP proof `jti`s (Redis). */
  replayMarkers: RedisReplayMarkers;
  /** Revocation marks of single JWT access tokens, read by the API. */
  revokedAccessTokens: RevokedAccessTokens;
  /** Active TPPs' client metadata in memory, evicted on every change of their row. */
  clientCache?: TppClientCache;
  /** Whether RFC 7591 registration (Nest, `/register`) is on: advertised in discovery when it is. */
  registration: boolean;
  /** The API as an introspection-only client. */
  apiClient?: { clientId: string; jwks: JWKS };
}

/** Path of the RFC 7591 registration endpoint, relative to the issuer. */
export const REGISTRATION_PATH = '/register';

/** The response modes every client is held to (RFC 6749 query); discovery advertises exactly these. */
const RESPONSE_MODES = ['query'];

const logger = new Logger('OidcProvider');

function logServerError(error: unknown, ctx: KoaContextWithOIDC): void {
  // Logged once, with the interaction id; the client sees only a generic server_error.
  const interactionId = ctx.response.get(FAPI_INTERACTION_ID_HEADER);
  logger.error(`server error on ${ctx.method} ${ctx.path} [${FAPI_INTERACTION_ID_HEADER}=${interactionId}]`, error instanceof Error ? error.stack : String(error));
}

/** Builds the oidc-provider instance with its environment wiring: issuer, keys, storage, proxy, events. */
export function createProvider(deps: ProviderDependencies): Provider {
  const clients = new TppClientAdapter(deps.dataSource, deps.clientCache);
  const provider = new Provider(
    deps.issuer,
    createConfiguration({
      apiUrl: deps.config.apiUrl,
      accessTokenTtl: deps.config.accessTokenTtl,
      jwks: deps.jwks as JWKS,
      cookieKeys: deps.secrets.cookieKeys,
      dpopNonceSecret: deps.secrets.dpopNonceSecret,
      adapter: (model: string) => (model === 'Client' ? clients : new PostgresAdapter(deps.dataSource, model)),
      findAccount: createFindAccount(deps.dataSource),
      registrationEndpoint: deps.registration ? `${deps.issuer}${REGISTRATION_PATH}` : undefined,
      apiClient: deps.apiClient,
      isClientActive: (clientId) => tppIsActive(deps.dataSource, clientId),
      consentGetsRefreshTokens: async (consentId) => {
        // Not a payment consent's id: an account-access consent's (AIS reads without the PSU present).
        if (!isPaymentConsentId(consentId)) return true;
        const consent = await findPaymentConsentAccess(deps.dataSource, consentId);
        return consent !== null && isRecurringPaymentConsent(consent.kind);
      },
    }),
  );
  // Behind a TLS-terminating proxy, X-Forwarded-Proto makes cookies Secure and URLs https. The
  // provider is its own Koa app: Fastify's trustProxy does not reach it. The bootstrap strips the
  // headers of untrusted peers and reduces X-Forwarded-For to the client, so Koa may read them.
  const trust = deps.config.trustProxy;
  provider.proxy = trust.kind === 'cidrs' || trust.hops > 0;
  useReplayMarkers(provider, deps.replayMarkers);

  // Every OAuth response carries x-fapi-interaction-id, errors included (UK OB v4.0, FAPI 1.0 6.2.1.11).
  provider.use(async (ctx, next) => {
    ctx.set(FAPI_INTERACTION_ID_HEADER, fapiInteractionIdOf(ctx.get(FAPI_INTERACTION_ID_HEADER) || undefined));
    // The provider writes its answers itself, past Fastify's helmet: the same baseline headers here, set
    // before it draws a page, so that a page with an inline script of its own (the sign-out page's
    // auto-submitted form) gets that script's hash added to `script-src` and runs, and no other script
    // does. Set after it (until 7 December 2026), the policy came too late for the hash: the browser
    // blocked the script and a PSU signing out without a session was left on a blank page.
    ctx.set('content-security-policy', PROVIDER_CSP);
    await next();
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('content-security-policy', withoutNoneBesideHashes(ctx.response.get('content-security-policy') || PROVIDER_CSP));
    // oidc-provider always lists form_post and fragment, which no client here may use.
    if ((ctx as KoaContextWithOIDC).oidc?.route === 'discovery' && ctx.status === 200 && ctx.body) {
      (ctx.body as { response_modes_supported?: string[] }).response_modes_supported = [...RESPONSE_MODES];
    }
  });
  auditTokenEvents(provider, deps.dataSource, logServerError);
  introspectJwtAccessTokens(provider, { dataSource: deps.dataSource, jwks: deps.jwks, apiClientId: deps.apiClient?.clientId, revokedAccessTokens: deps.revokedAccessTokens });
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => logServerError(error, ctx));
  return provider;
}
