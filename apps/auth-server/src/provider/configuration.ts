import { ACCESS_TOKEN_GRANT_CLAIM } from '@consentry/consents';
import { AdapterFactory, ClientMetadata, Configuration, errors, FindAccount, interactionPolicy, JWKS, KoaContextWithOIDC } from 'oidc-provider';

import { OPENBANKING_INTENT_ID, requestedIntentId } from './openbanking-intent.js';
import { assertStorableParams } from './storable-params.js';
import { renderLogoutPage, renderLogoutSuccessPage, renderProviderError } from './provider-pages.js';

/** The OB resource scopes, each served by the API (the only resource server). */
export const RESOURCE_SCOPES = ['accounts', 'payments', 'fundsconfirmations'] as const;

/** ACR of a two-factor login (UK OB Security Profile: `urn:openbanking:psd2:sca`). */
export const SCA_ACR = 'urn:openbanking:psd2:sca';

/** What the configuration needs from the environment; wired in bootstrap (issuer, keys, storage). */
export interface ProviderSettings {
  /** The API's base URL: the one resource indicator (RFC 8707) and the `aud` of every access token. */
  apiUrl: string;
  /** Lifetime of access tokens, in seconds. */
  accessTokenTtl: number;
  jwks: JWKS;
  cookieKeys: string[];
  dpopNonceSecret: Buffer;
  adapter: AdapterFactory;
  findAccount: FindAccount;
  /** RFC 7591 endpoint served by Nest (`/register`), advertised in discovery; undefined when onboarding is off. */
  registrationEndpoint?: string;
  /** The API as a resource-server client: private_key_jwt, no grants, introspection only. */
  apiClient?: { clientId: string; jwks: JWKS };
  /** Whether a TPP is Active right now, read from its row (introspection must not trust a cache). */
  isClientActive: (clientId: string) => Promise<boolean>;
  /**
   * Whether the grant of a consent gets refresh tokens, by the consent's kind alone: an account-access, VRP
   * or funds-confirmation consent is used many times; a domestic, scheduled or standing-order one once.
   */
  consentGetsRefreshTokens: (consentId: string) => Promise<boolean>;
}

/**
 * How long oidc-provider keeps an interaction (and the login session) stored. Longer than the PSU's
 * inactivity limit on purpose: an idle journey must still be found, to send the PSU back to the TPP
 * with an error instead of a dead end (see interactions/interaction-activity.ts).
 */
export const INTERACTION_STORAGE_TTL = 60 * 60;

// FAPI 2.0 Security Profile 5.4.1 and 5.3.2.1: only PS256, ES256 (and EdDSA, not offered here).
const FAPI_ALGS = ['PS256', 'ES256'] as const;

const SECONDS_PER_DAY = 24 * 60 * 60;

// Clock skew allowed on every JWT the provider checks (client assertions, DPoP proofs).
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * How far ahead of its use a client assertion (private_key_jwt) may expire. FAPI 2.0 sets no bound and
 * RFC 7523 section 3 lets the server refuse an `exp` unreasonably far in the future: a leaked unused
 * assertion is then good for minutes, not a year, and its replay marker (kept until `exp`) as short-lived.
 */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 300;

/**
 * oidc-provider's `assertJwtClientAuthClaimsAndHeader` hook, run on every client assertion (token, PAR,
 * introspection, revocation) after its signature and before its `jti` is spent. It replaces the default,
 * whose FAPI 2.0 rule it keeps, and adds the lifetime bound.
 */
function assertClientAssertion(ctx: KoaContextWithOIDC, claims: Record<string, unknown>): void {
  if (ctx.oidc.isFapi('2.0') && claims.aud !== ctx.oidc.issuer) throw new errors.InvalidClientAuth('audience (aud) must equal the issuer identifier url');
  // exp is present and numeric: the provider checked it before.
  if (Number(claims.exp) > Math.floor(Date.now() / 1000) + CLIENT_ASSERTION_MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
    const description = `the client_assertion expires too far ahead: its exp must be at most ${CLIENT_ASSERTION_MAX_LIFETIME_SECONDS} seconds from now`;
    // invalid_client (401) as for any other failed client authentication, with its reason said.
    throw Object.assign(new errors.InvalidClientAuth(description), { error_description: description });
  }
}

/**
 * Every authorization needs a fresh strong customer authentication (PSD2 RTS Art. 4, Art. 10 does not
 * exempt the first access to a consent): a session from an earlier journey does not skip the login.
 */
function interactionPolicyWithScaPerAuthorization(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('sca_per_authorization', 'strong customer authentication is required for each authorization', (ctx) =>
      ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  return policy;
}

/**
 * Seconds left of the grant behind the token being issued: a grant saved for a consent expires with the
 * consent's ExpirationDateTime, and nothing issued under it may outlive it.
 */
function capAtGrant(ctx: KoaContextWithOIDC | undefined, ttl: number): number {
  const grant = ctx?.oidc?.entities.Grant as { exp?: number } | undefined;
  if (!grant?.exp) return ttl;
  return Math.max(1, Math.min(ttl, grant.exp - Math.floor(Date.now() / 1000)));
}

function apiClientMetadata(apiClient: NonNullable<ProviderSettings['apiClient']>): ClientMetadata {
  return {
    client_id: apiClient.clientId,
    client_name: 'Consentry API (resource server)',
    // No grant at all: the API only introspects tokens presented to it.
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'PS256',
    jwks: apiClient.jwks,
  };
}

/** The intent (ConsentId) of the code or refresh token being exchanged at the token endpoint. */
function intentOfExchangedGrant(ctx: KoaContextWithOIDC): string | undefined {
  const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
  return source ? requestedIntentId(source.claims) : undefined;
}

/**
 * oidc-provider configuration: a plain object, each feature set explicitly. Issuer, keys, storage and
 * `proxy` are environment wiring and come through `settings` / bootstrap.
 */
export function createConfiguration(settings: ProviderSettings): Configuration {
  const resourceServer = {
    scope: RESOURCE_SCOPES.join(' '),
    audience: settings.apiUrl,
    accessTokenTTL: settings.accessTokenTtl,
    // JWT access tokens so the API verifies them offline (RFC 9068); PS256 per FAPI 2.0 5.4.1.
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: 'PS256' as const } },
  };

  return {
    adapter: settings.adapter,
    jwks: settings.jwks,
    clients: settings.apiClient ? [apiClientMetadata(settings.apiClient)] : [],
    findAccount: settings.findAccount,

    acrValues: [SCA_ACR],
    claims: {
      openid: ['sub'],
      // The ConsentId travels as a claim (UK OB), requested through the claims parameter. `null` makes it
      // a standalone claim: an array would also make `openbanking_intent_id` a scope.
      [OPENBANKING_INTENT_ID]: null,
    },
    scopes: ['openid', ...RESOURCE_SCOPES],
    responseTypes: ['code'],
    subjectTypes: ['public'],
    // FAPI 2.0 5.3.2.1: confidential clients only, authenticated by private_key_jwt (or mTLS, later).
    clientAuthMethods: ['private_key_jwt'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'PS256',
      id_token_signed_response_alg: 'PS256',
      // FAPI 2.0 5.3.2.1: sender-constrained access tokens; DPoP (RFC 9449) is the method offered.
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      // RFC 6749 query responses only: no form_post or fragment (tpp-client.adapter.ts enforces it per TPP).
      response_modes: ['query'],
    },
    // TPPs are server-side confidential clients: no browser calls the token or PAR endpoints.
    clientBasedCORS: () => false,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    assertJwtClientAuthClaimsAndHeader: assertClientAssertion,
    conformIdTokenClaims: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    acceptQueryParamAccessTokens: false,
    enableHttpPostMethods: false,
    cookies: {
      keys: settings.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    discovery: {
      claim_types_supported: ['normal'],
      service_documentation: 'https://github.com/consentry/consentry/blob/main/docs/auth-server.md',
      // RFC 7591 registration is served by Nest (software statements), not by oidc-provider.
      ...(settings.registrationEndpoint ? { registration_endpoint: settings.registrationEndpoint } : {}),
    },
    enabledJWA: {
      clientAuthSigningAlgValues: [...FAPI_ALGS],
      idTokenSigningAlgValues: [...FAPI_ALGS],
      requestObjectSigningAlgValues: [...FAPI_ALGS],
      userinfoSigningAlgValues: [...FAPI_ALGS],
      dPoPSigningAlgValues: [...FAPI_ALGS],
      authorizationSigningAlgValues: [...FAPI_ALGS],
      introspectionSigningAlgValues: [...FAPI_ALGS],
    },
    features: {
      devInteractions: { enabled: false },
      fapi: { enabled: true, profile: '2.0' },
      // FAPI 2.0 5.3.1.2: PAR (RFC 9126) is the only way in; the authorization endpoint takes request_uri only.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true, allowUnregisteredRedirectUris: false },
      dPoP: {
        enabled: true,
        nonceSecret: settings.dpopNonceSecret,
        // RFC 9449 section 8: server-provided nonces limit a stolen proof's lifetime to the nonce window.
        requireNonce: () => true,
        allowReplay: false,
      },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter means the API: it is the only resource server.
        defaultResource: () => settings.apiUrl,
        // A code or refresh token exchange gets the resource granted at authorization.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== settings.apiUrl) throw new errors.InvalidTarget();
          return resourceServer;
        },
      },
      claimsParameter: {
        enabled: true,
        // Refuse a malformed or contradictory openbanking_intent_id at PAR time, before any PSU sees a page,
        // and any parameter the interaction could not be saved with.
        assertClaimsParameter: (ctx, claims) => {
          requestedIntentId(claims);
          assertStorableParams(ctx.oidc.params ?? {});
        },
      },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: false },
      // RFC 7662: a TPP introspects its own tokens, the API (resource server client) any token. JWT access
      // tokens are answered by provider/jwt-introspection.ts (oidc-provider introspects opaque ones only).
      introspection: {
        enabled: true,
        // A suspended TPP's tokens stop working at once: read from the row, not from the client cache.
        allowedPolicy: async (_ctx, client, token) =>
          (token.clientId === client.clientId || client.clientId === settings.apiClient?.clientId) && (await settings.isClientActive(token.clientId!)),
      },
      jwtIntrospection: { enabled: false },
      // RFC 7009: a TPP revokes its own refresh tokens (which ends the grant, and so the consent) and its
      // JWT access tokens one by one (provider/jwt-introspection.ts marks their jti).
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      // Signed request objects (FAPI 2.0 Message Signing) come later; PAR's authenticated body suffices here.
      requestObjects: { enabled: false },
      registration: { enabled: false },
      registrationManagement: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource: renderLogoutPage, postLogoutSuccessSource: renderLogoutSuccessPage },
      backchannelLogout: { enabled: false },
      deviceFlow: { enabled: false },
      ciba: { enabled: false },
      encryption: { enabled: false },
      jwtResponseModes: { enabled: false },
      webMessageResponseMode: { enabled: false },
      mTLS: { enabled: false },
      richAuthorizationRequests: { enabled: false },
      rpMetadataChoices: { enabled: false },
      externalSigningSupport: { enabled: false },
      attestClientAuth: { enabled: false },
      clientIdMetadataDocument: { enabled: false },
    },
    pkce: {
      // FAPI 2.0 5.3.1.2: PKCE with S256 for every authorization request (oidc-provider 9 only knows S256).
      required: () => true,
    },
    ttl: {
      AccessToken: (ctx) => capAtGrant(ctx, settings.accessTokenTtl),
      ClientCredentials: settings.accessTokenTtl,
      // FAPI 2.0 5.3.2.2: authorization codes live at most 60 s.
      AuthorizationCode: 60,
      IdToken: settings.accessTokenTtl,
      // Storage lifetime only; the PSU's 5-minute inactivity limit is enforced by the pages.
      Interaction: INTERACTION_STORAGE_TTL,
      Session: INTERACTION_STORAGE_TTL,
      // Capped at the grant, which a consent's approval saves with the consent's ExpirationDateTime:
      // no refresh token outlives its consent. Revoking the consent deletes the grant with every token.
      RefreshToken: (ctx) => capAtGrant(ctx, 365 * SECONDS_PER_DAY),
      Grant: 365 * SECONDS_PER_DAY,
    },
    // FAPI 2.0 5.3.2.1: refresh tokens of confidential clients are bound to the client's authentication
    // (sender-constrained), so they are not rotated. No rotation also makes concurrent refreshes of one
    // token safe: each gets an access token and the refresh token stays valid (no lost rotation race).
    rotateRefreshToken: false,
    // Tokens outlive the short login session: they belong to the consent.
    expiresWithSession: () => false,
    // AIS, VRP and CoF need ongoing access without the PSU present; a domestic, scheduled or standing-order
    // payment is one-off. The consent's kind decides, never the scope: a scope cannot turn a one-off payment's
    // grant into a lasting one. A refresh token never outlives its grant, which ends with the consent
    // (a VRP's ValidToDateTime, a funds confirmation's ExpirationDateTime, or a year if it sets none).
    issueRefreshToken: async (_ctx, client, code) => {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      const intent = requestedIntentId(code.claims);
      return intent !== undefined && (await settings.consentGetsRefreshTokens(intent));
    },
    extraTokenClaims: (ctx, token) => {
      if (token.kind === 'ClientCredentials') return undefined;
      const intent = intentOfExchangedGrant(ctx);
      // The grant travels with the token: the API refuses it once the consent's grant is another (or none).
      return intent ? { [OPENBANKING_INTENT_ID]: intent, [ACCESS_TOKEN_GRANT_CLAIM]: token.grantId } : undefined;
    },
    // Each consent gets its own grant: never reuse the session's grant of an earlier consent, or
    // revoking one consent would revoke another's tokens.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    interactions: {
      policy: interactionPolicyWithScaPerAuthorization(),
      // Nest serves exactly this path (the `_interaction` cookie is scoped to it).
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: renderProviderError,
  };
}
