import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import * as client from 'openid-client';

import { API_URL, AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { tppConfiguration } from '../support/tpp-client.js';

describe('client credentials grant', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('client_credentials');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  it('issues a DPoP-bound PS256 JWT access token for the API with private_key_jwt', async () => {
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, keyPair) });

    expect(tokens.token_type).toBe('dpop');
    expect(tokens.expires_in).toBe(300);
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'PS256', typ: 'at+jwt' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: fixture.server.url, aud: API_URL, client_id: 'sandbox-tpp', sub: 'sandbox-tpp', scope: 'accounts' });
    expect(claims.openbanking_intent_id).toBeUndefined();
    expect((claims.cnf as { jkt: string }).jkt).toBe(await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)));
  });

  it('records token.issued in the audit outbox without the token', async () => {
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, keyPair) });
    const rows: Array<{ event: Record<string, unknown> }> = await fixture.db.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'token.issued' ORDER BY created_seq`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const event = rows.at(-1)!.event;
    expect(event).toMatchObject({
      type: 'token.issued',
      actor: { type: 'tpp', id: 'sandbox-tpp' },
      clientId: 'sandbox-tpp',
      data: { grantType: 'client_credentials', issued: ['access_token'], scope: 'accounts', senderConstraint: 'dpop' },
    });
    expect(JSON.stringify(event)).not.toContain(tokens.access_token);
  });

  it('refuses a token request without DPoP (FAPI 2.0: sender-constrained tokens only)', async () => {
    await expect(client.clientCredentialsGrant(config, { scope: 'accounts' })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
      status: 400,
    });
  });

  it('refuses a suspended TPP as an unknown client', async () => {
    await fixture.db.dataSource.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = 'sandbox-tpp'`);
    try {
      const keyPair = await client.randomDPoPKeyPair('ES256');
      await expect(client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, keyPair) })).rejects.toMatchObject({
        error: 'invalid_client',
        status: 401,
      });
    } finally {
      await fixture.db.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = 'sandbox-tpp'`);
    }
  });

  it('answers token errors in the OAuth shape with x-fapi-interaction-id echoed', async () => {
    const interactionId = '0d6f7a52-3a4e-4b8f-9a62-2b4e1c1f5e11';
    const response = await fetch(`${fixture.server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-fapi-interaction-id': interactionId },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sandbox-tpp' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-fapi-interaction-id')).toBe(interactionId);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });
});
