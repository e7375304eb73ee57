import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { signMessage, verifyMessageSignature } from '@consentry/message-signing';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { CryptoKey, importJWK, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSandboxCredentials, sandboxFiles, seedSandbox, upgradeSandboxTpp, writeSandboxCredentials } from './seed-sandbox.js';

describe('upgradeSandboxTpp: a .data from before payments', () => {
  let db: TestDatabase;
  let dataDir: string;
  let clientAuthKey: Record<string, unknown>;
  let psusBefore: unknown;

  beforeAll(async () => {
    db = await createTestDatabase('sandbox_upgrade');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-upgrade-'));
    const credentials = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(Buffer.alloc(32, 4)), transactionsPerAccount: 5, seed: 3 });
    // Back to the shape an older start left: AISP only, one ES256 key, no signing values or directory ids.
    clientAuthKey = credentials.tpp.jwks.keys[0]!;
    const { roles: _roles, org_id: _org, software_id: _software, signing: _signing, ...old } = credentials.tpp;
    await writeSandboxCredentials(dataDir, { ...credentials, tpp: { ...old, jwks: { keys: [clientAuthKey] } } as typeof credentials.tpp });
    await db.dataSource.query(
      `UPDATE tpp SET roles = '{AISP}', client_metadata = (client_metadata - 'org_id' - 'software_id') || jsonb_build_object('scope', 'openid accounts', 'jwks', jsonb_build_object('keys', jsonb_build_array(client_metadata->'jwks'->'keys'->0)))`,
    );
    psusBefore = await db.dataSource.query(`SELECT psu_id, password_hash FROM psu ORDER BY psu_id`);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives the TPP its roles, directory ids and a PS256 signing key in the file and in its row, without reseeding', async () => {
    const stored = (await readSandboxCredentials(dataDir))!;
    const { tpp, upgraded } = await upgradeSandboxTpp(db.dataSource, dataDir, stored.tpp);
    expect(upgraded).toBe(true);
    expect(tpp.roles).toEqual(['AISP', 'PISP', 'CBPII']);
    expect(tpp.signing).toEqual({ kid: expect.any(String), iss: 'consentry-sandbox-org/sandbox-tpp', tan: 'sandbox.consentry.local' });
    expect(tpp.jwks.keys[0]).toEqual(clientAuthKey);
    const signingKey = tpp.jwks.keys.find((key) => key.kid === tpp.signing.kid)!;
    expect(signingKey).toMatchObject({ kty: 'RSA', alg: 'PS256', use: 'sig', d: expect.any(String) });
    expect(JSON.parse(await readFile(sandboxFiles(dataDir).tpp, 'utf8'))).toEqual(tpp);

    const [row] = await db.dataSource.query(`SELECT roles, client_metadata FROM tpp WHERE client_id = 'sandbox-tpp'`);
    expect(row.roles).toEqual(['AISP', 'PISP', 'CBPII']);
    expect(row.client_metadata).toMatchObject({ org_id: 'consentry-sandbox-org', software_id: 'sandbox-tpp', scope: 'openid accounts payments fundsconfirmations' });
    const publicKeys = row.client_metadata.jwks.keys as JWK[];
    expect(publicKeys.map((key) => key.kid)).toEqual([clientAuthKey.kid, tpp.signing.kid]);
    expect(JSON.stringify(publicKeys)).not.toContain(String(signingKey.d));
    expect(await db.dataSource.query(`SELECT psu_id, password_hash FROM psu ORDER BY psu_id`)).toEqual(psusBefore);

    // What the TPP signs with now verifies against what its row registers.
    const body = '{"Data":{}}';
    const signature = await signMessage(body, { ...tpp.signing, key: (await importJWK(signingKey as JWK, 'PS256')) as CryptoKey });
    const registered = publicKeys.find((key) => key.kid === tpp.signing.kid)!;
    await expect(
      verifyMessageSignature(signature, body, { iss: tpp.signing.iss, tan: tpp.signing.tan, key: async () => (await importJWK(registered, 'PS256')) as CryptoKey }),
    ).resolves.toMatchObject({ kid: tpp.signing.kid });
  });

  it('leaves an up-to-date TPP exactly as it is', async () => {
    const before = await readFile(sandboxFiles(dataDir).tpp, 'utf8');
    const [rowBefore] = await db.dataSource.query(`SELECT client_metadata FROM tpp WHERE client_id = 'sandbox-tpp'`);
    const { upgraded } = await upgradeSandboxTpp(db.dataSource, dataDir, (await readSandboxCredentials(dataDir))!.tpp);
    expect(upgraded).toBe(false);
    expect(await readFile(sandboxFiles(dataDir).tpp, 'utf8')).toBe(before);
    const [rowAfter] = await db.dataSource.query(`SELECT client_metadata FROM tpp WHERE client_id = 'sandbox-tpp'`);
    expect(rowAfter).toEqual(rowBefore);
  });

  it('refuses nothing on a file written by hand without roles: they are added', async () => {
    const stored = (await readSandboxCredentials(dataDir))!;
    const { roles: _roles, ...withoutRoles } = stored.tpp;
    await writeFile(sandboxFiles(dataDir).tpp, JSON.stringify(withoutRoles));
    const { tpp, upgraded } = await upgradeSandboxTpp(db.dataSource, dataDir, withoutRoles as typeof stored.tpp);
    expect(upgraded).toBe(true);
    expect(tpp.roles).toEqual(['AISP', 'PISP', 'CBPII']);
    expect(tpp.signing).toEqual(stored.tpp.signing);
  });
});
