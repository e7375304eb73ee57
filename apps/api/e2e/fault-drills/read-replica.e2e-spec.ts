import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { PrivatePostgres, startPrivatePostgres } from '@consentry/testing';

import { ApiHarness } from '../support/api-harness.js';
import { apiGauge, queryReplica } from './support/read-replica-probe.js';

const AISP = '/open-banking/v4.0/aisp';
const MAX_LAG_MS = 1500;
const WAIT = { timeout: 20_000, interval: 100 };

/**
 * PostgreSQL read replica (DATABASE_READ_URL): a real primary and a real streaming replica
 * (pg_basebackup -R) of the suite's own, on free ports. The replica's WAL replay is paused to make it
 * fall behind, and the replica is stopped and started, while the API serves the TPP.
 */
describe('read replica', () => {
  let primary: PrivatePostgres;
  let replica: PrivatePostgres;
  let h: ApiHarness;
  let token: string;
  let consentId: string;
  let accountId: string;

  const onReplica = (sql: string, params: unknown[] = []) => queryReplica(replica, h, sql, params);
  const replicaMetric = (name: string) => apiGauge(h, name);

  async function nickname(): Promise<unknown> {
    const read = await h.tpp('GET', `${AISP}/accounts/${accountId}`, { token });
    expect(read.status).toBe(200);
    return read.body.Data.Account[0]?.Nickname;
  }

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    replica = await startPrivatePostgres({ replicaOf: primary });
    h = await ApiHarness.start('read_replica', { READ_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) }, {}, { databaseServerUrl: primary.url, readReplicaServerUrl: replica.url });
    accountId = h.psuAccounts('alice')[0]!;
    consentId = await h.authorisedConsent(['ReadAccountsDetail']);
    token = await h.consentToken(consentId);
    // The replica has replayed the suite's database, migrations and seed: the router serves from it.
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(1), WAIT);
  });

  afterAll(async () => {
    await h?.stop();
    await replica?.destroy();
    await primary?.destroy();
  });

  it('serves the ledger from the replica while it keeps up, and from the primary once it falls behind', async () => {
    await onReplica('SELECT pg_wal_replay_pause()');
    await h.dataSource.query(`UPDATE account SET nickname = 'Moved on' WHERE account_id = $1`, [accountId]);
    const before = await nickname();
    // Read on the replica, which has not replayed the change: the old name.
    expect(before).not.toBe('Moved on');
    // Paused, it falls behind by more than READ_REPLICA_MAX_LAG_MS: reads go to the primary.
    await vi.waitFor(async () => expect(await nickname()).toBe('Moved on'), WAIT);
    expect(await replicaMetric('consentry_read_replica_serving')).toBe(0);
    expect(await replicaMetric('consentry_read_replica_lag_ms')).toBeGreaterThan(MAX_LAG_MS);

    await onReplica('SELECT pg_wal_replay_resume()');
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(1), WAIT);
    expect(await nickname()).toBe('Moved on');
  });

  it('checks the consent on the primary: a revocation is never late, whatever the replica holds', async () => {
    await onReplica('SELECT pg_wal_replay_pause()');
    try {
      const revoked = await h.call('DELETE', `/customer/consents/${consentId}`, { headers: { authorization: `Bearer ${await h.customerSession('alice')}` } });
      expect(revoked.status).toBe(204);
      // The replica still holds the consent as AUTH and serves reads (it is within its lag): refused all the same.
      expect([401, 403]).toContain((await h.tpp('GET', `${AISP}/accounts/${accountId}`, { token })).status);
    } finally {
      await onReplica('SELECT pg_wal_replay_resume()');
    }
    consentId = await h.authorisedConsent(['ReadAccountsDetail']);
    token = await h.consentToken(consentId);
  });

  it('reads from the primary while the replica is down, and from the replica again once it is back', async () => {
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(1), WAIT);
    await replica.stop();
    // The first read may still be sent to the replica: it fails there and is answered from the primary.
    await h.dataSource.query(`UPDATE account SET nickname = 'Down time' WHERE account_id = $1`, [accountId]);
    expect(await nickname()).toBe('Down time');
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(0), WAIT);
    expect(await nickname()).toBe('Down time');

    await replica.start();
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(1), WAIT);
    expect(await nickname()).toBe('Down time');
  });
});
