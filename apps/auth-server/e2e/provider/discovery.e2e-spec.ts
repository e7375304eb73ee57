import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { API_URL, AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';

describe('discovery', () => {
  let fixture: AuthServerFixture;
  let metadata: Record<string, unknown>;
  let response: Response;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('discovery');
    response = await fetch(`${fixture.server.url}/.well-known/openid-configuration`);
    metadata = (await response.json()) as Record<string, unknown>;
  });
  afterAll(async () => fixture?.stop());

  it('serves the metadata at the issuer', () => {
    expect(response.status).toBe(200);
    expect(metadata.issuer).toBe(fixture.server.url);
    expect(fixture.server.url).toBe(`http://localhost:${fixture.server.port}`);
    expect(response.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('advertises PAR as required, PKCE S256 and DPoP', () => {
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${fixture.server.url}/request`);
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['PS256', 'ES256']);
  });

  it('accepts only private_key_jwt with PS256 or ES256', () => {
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(['PS256', 'ES256']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['PS256', 'ES256']);
  });

  it('offers the code flow, refresh tokens and client credentials', () => {
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
  });

  it('supports the claims parameter with openbanking_intent_id and the OB scopes', () => {
    expect(metadata.claims_parameter_supported).toBe(true);
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'openbanking_intent_id']));
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'accounts', 'payments', 'fundsconfirmations']));
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('publishes public signing keys only, a PS256 RSA key among them', async () => {
    const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'PS256']);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });

  it('generated its sandbox keys under the data dir, readable by the owner only', async () => {
    for (const file of ['auth-server-jwks.json', 'auth-server-secrets.json']) {
      expect((await stat(join(fixture.dataDir, 'keys', file))).mode & 0o777).toBe(0o600);
    }
  });

  it('advertises exactly the FAPI 2.0 protocol set of issue 4, and nothing else', () => {
    const url = fixture.server.url;
    expect(metadata).toEqual({
      issuer: url,
      authorization_endpoint: `${url}/auth`,
      token_endpoint: `${url}/token`,
      pushed_authorization_request_endpoint: `${url}/request`,
      jwks_uri: `${url}/jwks`,
      userinfo_endpoint: `${url}/me`,
      introspection_endpoint: `${url}/token/introspection`,
      revocation_endpoint: `${url}/token/revocation`,
      registration_endpoint: `${url}/register`,
      end_session_endpoint: `${url}/session/end`,
      // Authorization code flow only, through PAR, PKCE S256, iss in the response (RFC 9207).
      response_types_supported: ['code'],
      // RFC 6749 query responses only: no form_post, no fragment (no JARM either).
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      require_pushed_authorization_requests: true,
      request_uri_parameter_supported: false,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      // private_key_jwt with PS256 / ES256 only, at every endpoint that authenticates clients.
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
      id_token_signing_alg_values_supported: ['PS256', 'ES256'],
      dpop_signing_alg_values_supported: ['PS256', 'ES256'],
      // openbanking_intent_id is a claim (requested through the claims parameter), never a scope.
      scopes_supported: ['openid', 'accounts', 'payments', 'fundsconfirmations'],
      claims_parameter_supported: true,
      claims_supported: ['sub', 'acr', 'sid', 'auth_time', 'iss', 'openbanking_intent_id'],
      claim_types_supported: ['normal'],
      acr_values_supported: ['urn:openbanking:psd2:sca'],
      subject_types_supported: ['public'],
      service_documentation: 'https://github.com/consentry/consentry/blob/main/docs/auth-server.md',
    });
    expect(API_URL).toBe('http://localhost:3000');
  });
});
