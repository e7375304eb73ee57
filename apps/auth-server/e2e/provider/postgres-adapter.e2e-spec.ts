import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { errors } from 'oidc-provider';

import { PostgresAdapter } from '../../src/provider/postgres.adapter.js';
import { TppClientAdapter } from '../../src/provider/tpp-client.adapter.js';

describe('PostgresAdapter (oidc-provider adapter contract)', () => {
  let db: TestDatabase;
  let codes: PostgresAdapter;
  let tokens: PostgresAdapter;
  let sessions: PostgresAdapter;

  beforeAll(async () => {
    db = await createTestDatabase('oidc_adapter');
    codes = new PostgresAdapter(db.dataSource, 'AuthorizationCode');
    tokens = new PostgresAdapter(db.dataSource, 'RefreshToken');
    sessions = new PostgresAdapter(db.dataSource, 'Session');
  });
  afterAll(async () => db?.drop());

  it('stores a payload and finds it by id, per model', async () => {
    await codes.upsert('c1', { grantId: 'g1', accountId: 'psu-1', kind: 'AuthorizationCode' }, 60);
    expect(await codes.find('c1')).toEqual({ grantId: 'g1', accountId: 'psu-1', kind: 'AuthorizationCode' });
    expect(await tokens.find('c1')).toBeUndefined();
  });

  it('replaces the payload and expiry on a second upsert', async () => {
    await codes.upsert('c2', { grantId: 'g1', scope: 'openid' }, 60);
    await codes.upsert('c2', { grantId: 'g1', scope: 'openid accounts' }, 120);
    expect(await codes.find('c2')).toEqual({ grantId: 'g1', scope: 'openid accounts' });
    const [row] = await db.dataSource.query(`SELECT expires_at FROM oidc_model WHERE model = 'AuthorizationCode' AND id = 'c2'`);
    expect((row.expires_at as Date).getTime()).toBeGreaterThan(Date.now() + 100_000);
  });

  it('keeps a payload without expiresIn forever', async () => {
    await tokens.upsert('forever', { grantId: 'g9' });
    const [row] = await db.dataSource.query(`SELECT expires_at FROM oidc_model WHERE model = 'RefreshToken' AND id = 'forever'`);
    expect(row.expires_at).toBeNull();
    expect(await tokens.find('forever')).toEqual({ grantId: 'g9' });
  });

  it('does not return expired rows', async () => {
    await codes.upsert('expired', { grantId: 'g2' }, 60);
    await db.dataSource.query(`UPDATE oidc_model SET expires_at = now() - interval '1 second' WHERE id = 'expired'`);
    expect(await codes.find('expired')).toBeUndefined();
    await expect(codes.consume('expired')).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('finds a session by uid', async () => {
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'psu-1' }, 600);
    expect(await sessions.findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'psu-1' });
    expect(await sessions.findByUid('uid-unknown')).toBeUndefined();
  });

  it('finds a device code by user code', async () => {
    const deviceCodes = new PostgresAdapter(db.dataSource, 'DeviceCode');
    await deviceCodes.upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g3' }, 600);
    expect(await deviceCodes.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH', grantId: 'g3' });
  });

  it('marks a consumed code with the time it was consumed, and keeps it consumed across upserts', async () => {
    await codes.upsert('c3', { grantId: 'g4' }, 60);
    await codes.consume('c3');
    const found = await codes.find('c3');
    expect(found?.consumed).toEqual(expect.any(Number));
    expect(Math.abs((found!.consumed as number) - Date.now() / 1000)).toBeLessThan(5);
    await codes.upsert('c3', { grantId: 'g4' }, 60);
    expect((await codes.find('c3'))?.consumed).toEqual(expect.any(Number));
  });

  it('lets only one of concurrent consumes of a code succeed', async () => {
    await codes.upsert('race', { grantId: 'g5' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => codes.consume('race')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(7);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(errors.InvalidGrant);
  });

  it('destroys one row', async () => {
    await codes.upsert('c4', { grantId: 'g6' }, 60);
    await codes.destroy('c4');
    expect(await codes.find('c4')).toBeUndefined();
  });

  it('revokes every row of its model under a grant, and nothing else', async () => {
    await tokens.upsert('rt1', { grantId: 'g7' }, 600);
    await tokens.upsert('rt2', { grantId: 'g7' }, 600);
    await tokens.upsert('rt3', { grantId: 'g8' }, 600);
    await codes.upsert('c5', { grantId: 'g7' }, 60);
    await tokens.revokeByGrantId('g7');
    expect(await tokens.find('rt1')).toBeUndefined();
    expect(await tokens.find('rt2')).toBeUndefined();
    expect(await tokens.find('rt3')).toEqual({ grantId: 'g8' });
    expect(await codes.find('c5')).toEqual({ grantId: 'g7' });
  });

  it('purges expired rows', async () => {
    await codes.upsert('old', { grantId: 'g10' }, 60);
    await db.dataSource.query(`UPDATE oidc_model SET expires_at = now() - interval '1 minute' WHERE id = 'old'`);
    expect(await PostgresAdapter.purgeExpired(db.dataSource)).toBeGreaterThanOrEqual(1);
    const rows = await db.dataSource.query(`SELECT 1 FROM oidc_model WHERE id = 'old'`);
    expect(rows).toHaveLength(0);
  });
});

describe('TppClientAdapter', () => {
  let db: TestDatabase;
  let clients: TppClientAdapter;

  beforeAll(async () => {
    db = await createTestDatabase('tpp_client_adapter');
    clients = new TppClientAdapter(db.dataSource);
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES ($1, $2, $3, $4, $5)`, [
      'tpp-a',
      'TPP A',
      ['AISP'],
      'Active',
      JSON.stringify({ client_id: 'tpp-a', redirect_uris: ['https://a.example/cb'] }),
    ]);
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES ($1, $2, $3, $4, $5)`, [
      'tpp-b',
      'TPP B',
      ['AISP'],
      'Suspended',
      JSON.stringify({ client_id: 'tpp-b', redirect_uris: ['https://b.example/cb'] }),
    ]);
  });
  afterAll(async () => db?.drop());

  it('finds an active TPP by its client_id, with the scope of its roles', async () => {
    expect(await clients.find('tpp-a')).toEqual({ client_id: 'tpp-a', redirect_uris: ['https://a.example/cb'], scope: 'openid accounts', response_modes: ['query'] });
  });

  it('takes the scope from the roles, not from the stored metadata', async () => {
    await db.dataSource.query(`UPDATE tpp SET roles = $2, client_metadata = client_metadata || '{"scope":"openid accounts payments"}' WHERE client_id = $1`, [
      'tpp-a',
      ['CBPII', 'AISP'],
    ]);
    expect((await clients.find('tpp-a'))?.scope).toBe('openid accounts fundsconfirmations');
  });

  it('holds every TPP to the query response mode, whatever its metadata says', async () => {
    await db.dataSource.query(`UPDATE tpp SET client_metadata = client_metadata || '{"response_modes":["form_post","fragment"]}' WHERE client_id = 'tpp-a'`);
    expect((await clients.find('tpp-a'))?.response_modes).toEqual(['query']);
  });

  it('does not find a suspended TPP, a deregistered one or an unknown one', async () => {
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES ('tpp-c', 'TPP C', '{AISP}', 'Deregistered', '{}')`);
    expect(await clients.find('tpp-c')).toBeUndefined();
    expect(await clients.find('tpp-b')).toBeUndefined();
    expect(await clients.find('nobody')).toBeUndefined();
  });

  it('refuses writes: TPPs are registered in the tpp table', async () => {
    await expect(clients.upsert()).rejects.toThrow(/tpp table/);
  });
});
