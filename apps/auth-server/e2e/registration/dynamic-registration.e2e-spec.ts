import { stat } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';

import { SandboxDirectory } from '../../src/registration/sandbox-directory.js';
import { RegisteredSandboxTpp, registerSandboxTpp } from '../../src/registration/sandbox-registration.js';
import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { tppConfiguration } from '../support/tpp-client.js';

const REDIRECT = 'https://newcomer.localhost/callback';

describe('TPP onboarding: dynamic client registration with a software statement (RFC 7591 / 7592)', () => {
  let fixture: AuthServerFixture;
  let directory: SandboxDirectory;
  let registered: RegisteredSandboxTpp;
  const sandbox = () => ({ mode: 'sandbox' as const, dataDir: fixture.dataDir, authServerUrl: fixture.server.url });

  beforeAll(async () => {
    fixture = await startAuthServerFixture('registration');
    directory = await SandboxDirectory.open(sandbox());
    registered = await registerSandboxTpp(sandbox(), { name: 'Newcomer Payments', roles: ['PISP'], redirectUris: [REDIRECT] });
  });
  afterAll(async () => fixture?.stop());

  async function publicJwks() {
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    return { keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' }] };
  }

  async function statement(overrides: Partial<{ softwareId: string; roles: string[]; redirectUris: string[] }> = {}): Promise<string> {
    return directory.sign({
      softwareId: overrides.softwareId ?? crypto.randomUUID(),
      clientName: 'Statement App',
      roles: overrides.roles ?? ['AISP'],
      redirectUris: overrides.redirectUris ?? [REDIRECT],
      jwks: await publicJwks(),
    });
  }

  async function register(body: unknown): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const response = await fetch(`${fixture.server.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  it('registers a TPP in one call from the sandbox directory, stored Active with the statement’s roles', async () => {
    expect(registered.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(registered.registration_client_uri).toBe(`${fixture.server.url}/register/${registered.client_id}`);
    const [row] = await fixture.db.dataSource.query(`SELECT name, roles, status, client_metadata FROM tpp WHERE client_id = $1`, [registered.client_id]);
    expect(row).toMatchObject({ name: 'Newcomer Payments', roles: ['PISP'], status: 'Active' });
    expect(row.client_metadata).toMatchObject({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', scope: 'openid payments' });
    expect(JSON.stringify(row.client_metadata)).not.toContain('"d"');
    expect((await stat(registered.file)).mode & 0o777).toBe(0o600);
    const events = await fixture.db.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'tpp.registered' AND event->>'clientId' = $1`, [registered.client_id]);
    expect(events[0].event.data).toMatchObject({ action: 'registered', softwareId: registered.software_id, roles: ['PISP'] });
    expect(JSON.stringify(events)).not.toContain(registered.registration_access_token);
  });

  it('lets the registered TPP get tokens for its role’s scope only', async () => {
    const config = await tppConfiguration(fixture.server.url, registered as never);
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    expect((await client.clientCredentialsGrant(config, { scope: 'payments' }, { DPoP: dpop })).scope).toBe('payments');
    await expect(client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: dpop })).rejects.toMatchObject({ status: 400, error: 'invalid_scope' });
  });

  it('refuses a registration without a software statement', async () => {
    const response = await register({ redirect_uris: [REDIRECT] });
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement is required' });
  });

  it('refuses a statement signed by an untrusted directory', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ software_id: 'forged', software_client_name: 'Forged', software_roles: ['AISP', 'PISP'], software_redirect_uris: [REDIRECT], software_jwks: await publicJwks() })
      .setProtectedHeader({ alg: 'ES256', kid: 'unknown' })
      .setIssuer('consentry-sandbox-directory')
      .setIssuedAt()
      .sign(privateKey);
    expect((await register({ software_statement: forged })).body).toEqual({ error: 'unapproved_software_statement', error_description: 'software_statement is not signed by a trusted directory' });
  });

  it('refuses an HS256 statement', async () => {
    const hs = await new SignJWT({ software_id: 'hs' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode('x'.repeat(32)));
    const response = await register({ software_statement: hs });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement must be signed with PS256 or ES256' });
  });

  it('refuses a redirect_uri the statement does not list', async () => {
    const response = await register({ software_statement: await statement(), redirect_uris: ['https://elsewhere.localhost/cb'] });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_redirect_uri', error_description: 'redirect_uris must be listed in the software statement' });
  });

  it('refuses client_secret authentication', async () => {
    const response = await register({ software_statement: await statement(), token_endpoint_auth_method: 'client_secret_basic' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'token_endpoint_auth_method must be one of private_key_jwt' });
  });

  it('refuses the same software twice', async () => {
    const response = await register({ software_statement: await statement({ softwareId: registered.software_id }) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'this software is already registered' });
  });

  describe('management (RFC 7592)', () => {
    const manage = (method: string, token: string | undefined, body?: unknown) =>
      fetch(registered.registration_client_uri, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });

    it('reads the registration with its access token', async () => {
      const response = await manage('GET', registered.registration_access_token);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ client_id: registered.client_id, client_name: 'Newcomer Payments', software_roles: ['PISP'], redirect_uris: [REDIRECT] });
    });

    it('refuses a request without a valid registration access token', async () => {
      const response = await manage('GET', 'not-the-token');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'the registration access token is not valid for this client' });
    });

    it('updates the registration from a fresh statement of the same software', async () => {
      const fresh = await directory.sign({ softwareId: registered.software_id, clientName: 'Newcomer Pay', roles: ['PISP', 'CBPII'], redirectUris: [REDIRECT], jwks: { keys: registered.jwks.keys.map(({ d: _d, ...pub }) => pub) } });
      const response = await manage('PUT', registered.registration_access_token, { client_id: registered.client_id, software_statement: fresh, token_endpoint_auth_signing_alg: 'ES256' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ client_name: 'Newcomer Pay', software_roles: ['PISP', 'CBPII'], scope: 'openid payments fundsconfirmations' });
      const [row] = await fixture.db.dataSource.query(`SELECT name, roles FROM tpp WHERE client_id = $1`, [registered.client_id]);
      expect(row).toEqual({ name: 'Newcomer Pay', roles: ['PISP', 'CBPII'] });
    });

    it('deletes the registration: the client and its token are gone', async () => {
      expect((await manage('DELETE', registered.registration_access_token)).status).toBe(204);
      expect(await fixture.db.dataSource.query(`SELECT 1 FROM tpp WHERE client_id = $1`, [registered.client_id])).toEqual([]);
      expect((await manage('GET', registered.registration_access_token)).status).toBe(401);
      const config = await tppConfiguration(fixture.server.url, registered as never);
      await expect(
        client.clientCredentialsGrant(config, { scope: 'payments' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) }),
      ).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
    });

    it('keeps a TPP holding consents as Deregistered (not Suspended), refused everything, and audits it', async () => {
      const holder = await registerSandboxTpp(sandbox(), { name: 'Consent Holder', roles: ['AISP'], redirectUris: [REDIRECT] });
      const consentId = await fixture.createConsent(holder.client_id);
      const response = await fetch(holder.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${holder.registration_access_token}` } });
      expect(response.status).toBe(204);
      const [row] = await fixture.db.dataSource.query(`SELECT status FROM tpp WHERE client_id = $1`, [holder.client_id]);
      expect(row).toEqual({ status: 'Deregistered' });
      expect(await fixture.db.dataSource.query(`SELECT 1 FROM account_access_consent WHERE consent_id = $1`, [consentId])).toHaveLength(1);
      const config = await tppConfiguration(fixture.server.url, holder as never);
      await expect(
        client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) }),
      ).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
      const events: Array<{ event: Record<string, unknown> }> = await fixture.db.dataSource.query(
        `SELECT event FROM audit_outbox WHERE event->>'clientId' = $1 AND event->>'type' IN ('tpp.registered', 'tpp.deregistered', 'tpp.suspended', 'token.revoked') ORDER BY created_seq`,
        [holder.client_id],
      );
      expect(events.map((e) => [e.event.type, (e.event.data as { action?: string; trigger?: string }).action ?? (e.event.data as { trigger?: string }).trigger])).toEqual([
        ['tpp.registered', 'registered'],
        ['tpp.deregistered', 'deregistered'],
        ['token.revoked', 'deregistered'],
      ]);
      expect(events[2]!.event.data).toEqual({ trigger: 'deregistered', revokedCount: expect.any(Number) });
      expect(JSON.stringify(events)).not.toContain(holder.registration_access_token);
    });
  });

  it('has no sandbox directory in production mode', async () => {
    await expect(SandboxDirectory.open({ mode: 'production', dataDir: fixture.dataDir })).rejects.toThrow('the sandbox directory exists in sandbox mode only');
  });
});
