import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadAuthServerConfig } from '@consentry/config';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase } from '@consentry/testing';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, JWK, jwtVerify } from 'jose';
import * as client from 'openid-client';

import { RunningAuthServer, startAuthServer } from '../../src/auth-server.bootstrap.js';
import { tppConfiguration } from '../support/tpp-client.js';

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'PS256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

describe('signing key rotation without downtime', () => {
  let db: TestDatabase;
  let dir: string;
  let credentials: SandboxCredentials;
  let server: RunningAuthServer | undefined;
  const redis = createTestRedis('key_rotation');
  const jwksFile = () => join(dir, 'signing.jwks.json');

  async function start(keys: JWK[]): Promise<RunningAuthServer> {
    await writeFile(jwksFile(), JSON.stringify({ keys }), { mode: 0o600 });
    const config = loadAuthServerConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      CONSENTRY_DATA_DIR: dir,
      AUTH_SERVER_PORT: '0',
      LOG_LEVEL: 'error',
      SIGNING_JWKS_FILE: jwksFile(),
    });
    return startAuthServer(config);
  }

  async function accessToken(issuer: string): Promise<string> {
    const config = await tppConfiguration(issuer, credentials.tpp);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) });
    return tokens.access_token;
  }

  beforeAll(async () => {
    db = await createTestDatabase('key_rotation');
    dir = await mkdtemp(join(tmpdir(), 'consentry-rotation-'));
    credentials = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(Buffer.alloc(32, 0x5a)), transactionsPerAccount: 0, seed: 3 });
  });
  afterAll(async () => {
    await server?.close();
    await redis.cleanup();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs with the new key first in the file and still publishes the previous one, so earlier tokens verify', async () => {
    const previous = await signingKey();
    server = await start([previous]);
    const before = await accessToken(server.url);
    expect(decodeProtectedHeader(before).kid).toBe(previous.kid);
    const issuer = server.url;
    await server.close();

    // Step 2 of the procedure (docs/auth-server.md): the new key first, the previous one kept.
    const next = await signingKey();
    server = await start([next, previous]);
    const after = await accessToken(server.url);
    expect(decodeProtectedHeader(after).kid).toBe(next.kid);

    const published = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    expect((await jwtVerify(after, published, { issuer: server.url })).protectedHeader.kid).toBe(next.kid);
    // Same key set, different port in this test: the old token names the issuer it was issued under.
    expect((await jwtVerify(before, published, { issuer })).protectedHeader.kid).toBe(previous.kid);
    const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([next.kid, previous.kid]);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });
});
