import { AuditEvent, buildAuditEvent, canonicalJson, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CONSENT_EXPIRY_LOCK_KEY, expireConsents } from './expire-consents.js';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const PSU = '00000000-0000-4000-8000-0000000000a1';

describe('expireConsents', () => {
  let db: TestDatabase;

  async function seed(): Promise<void> {
    const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
    await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-x', 'TPP X', '{AISP}', '{}')`);
    await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, 'u', 'U', 'h', 't')`, [PSU]);
    const consent = (id: string, status: string, expires: string | null, created: string, grant: string | null) =>
      q(
        `INSERT INTO account_access_consent (consent_id, client_id, psu_id, status, permissions, expiration_date_time,
           creation_date_time, status_update_date_time, grant_id, authorised_at)
         VALUES ($1, 'tpp-x', $2, $3, '{ReadAccountsBasic}', $4, $5, $5, $6, CASE WHEN $3 = 'AUTH' THEN $5::timestamptz END)`,
        [id, status === 'AWAU' ? null : PSU, status, expires, created, grant],
      );
    await consent('aac-due-auth', 'AUTH', '2026-11-25T11:00:00Z', '2026-11-01T00:00:00Z', 'grant-1');
    await consent('aac-due-awau', 'AWAU', '2026-11-25T11:59:59Z', '2026-11-25T11:30:00Z', null);
    await consent('aac-stale-awau', 'AWAU', null, '2026-11-25T10:00:00Z', null);
    await consent('aac-live', 'AUTH', '2026-12-25T00:00:00Z', '2026-11-01T00:00:00Z', 'grant-2');
    await consent('aac-forever', 'AUTH', null, '2026-01-01T00:00:00Z', 'grant-3');
    await consent('aac-fresh-awau', 'AWAU', null, '2026-11-25T11:45:00Z', null);
    await consent('aac-revoked', 'CANC', '2026-11-01T00:00:00Z', '2026-10-01T00:00:00Z', null);
    for (const [model, id, grant] of [
      ['Grant', 'grant-1', null],
      ['AccessToken', 'at-1', 'grant-1'],
      ['RefreshToken', 'rt-1', 'grant-1'],
      ['Grant', 'grant-2', null],
      ['AccessToken', 'at-2', 'grant-2'],
    ]) {
      await q(`INSERT INTO oidc_model (model, id, payload, grant_id) VALUES ($1, $2, '{}', $3)`, [model, id, grant]);
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('expire_consents');
    await seed();
  });
  afterAll(async () => db?.drop());

  it('expires due and stale consents with their grants, tokens and audit events, in small batches', async () => {
    const result = await expireConsents(db.dataSource, { now: NOW, awaitingMaxAgeSeconds: 3600, batchSize: 1, concurrency: 1 });
    expect(result).toEqual({ skipped: false, pastExpiration: 2, awaitingTooLong: 1, revokedTokens: 3, auditEvents: 3, batches: 5 });

    const statuses: { consent_id: string; status: string }[] = await db.dataSource.query(
      `SELECT consent_id, status FROM account_access_consent ORDER BY consent_id`,
    );
    expect(Object.fromEntries(statuses.map((row) => [row.consent_id, row.status]))).toEqual({
      'aac-due-auth': 'EXPD',
      'aac-due-awau': 'EXPD',
      'aac-forever': 'AUTH',
      'aac-fresh-awau': 'AWAU',
      'aac-live': 'AUTH',
      'aac-revoked': 'CANC',
      'aac-stale-awau': 'EXPD',
    });
    const tokens: { id: string }[] = await db.dataSource.query(`SELECT id FROM oidc_model ORDER BY id`);
    expect(tokens.map((row) => row.id)).toEqual(['at-2', 'grant-2']);

    const events: { event: Record<string, unknown> }[] = await db.dataSource.query(
      `SELECT event FROM audit_outbox ORDER BY event->>'consentId'`,
    );
    expect(events.map((row) => row.event)).toEqual([
      {
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'consent.expired',
        occurredAt: '2026-11-25T12:00:00.000Z',
        actor: { type: 'system', id: 'consent-expiry' },
        clientId: 'tpp-x',
        psuId: PSU,
        consentId: 'aac-due-auth',
        data: { from: 'AUTH', to: 'EXPD', reason: 'Expired: ExpirationDateTime has passed', revokedGrantRecords: 3 },
      },
      expect.objectContaining({ consentId: 'aac-due-awau', data: expect.objectContaining({ from: 'AWAU', revokedGrantRecords: 0 }) }),
      expect.objectContaining({ consentId: 'aac-stale-awau', data: expect.objectContaining({ reason: 'Expired: not authorised in time' }) }),
    ]);
    expect(events[1]!.event).not.toHaveProperty('psuId');
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 0 });
  });

  it('stores each event exactly as buildAuditEvent builds it, as the chain will hash it', async () => {
    const rows: { event_id: string; event: AuditEvent }[] = await db.dataSource.query(
      `SELECT event_id, event FROM audit_outbox ORDER BY event->>'consentId'`,
    );
    const built = (eventId: string, consentId: string, psuId: string | undefined, from: string, reason: string, revokedGrantRecords: number) =>
      buildAuditEvent({
        eventId,
        type: 'consent.expired',
        occurredAt: NOW,
        actor: { type: 'system', id: 'consent-expiry' },
        clientId: 'tpp-x',
        ...(psuId === undefined ? {} : { psuId }),
        consentId,
        data: { from, to: 'EXPD', reason, revokedGrantRecords },
      });
    const expected = [
      built(rows[0]!.event_id, 'aac-due-auth', PSU, 'AUTH', 'Expired: ExpirationDateTime has passed', 3),
      built(rows[1]!.event_id, 'aac-due-awau', undefined, 'AWAU', 'Expired: ExpirationDateTime has passed', 0),
      built(rows[2]!.event_id, 'aac-stale-awau', undefined, 'AWAU', 'Expired: not authorised in time', 0),
    ];
    // jsonb keeps no key order, so "the same bytes" is the canonical JSON the chain hashes.
    expect(rows.map((row) => canonicalJson(row.event))).toEqual(expected.map((event) => canonicalJson(event)));
  });

  it('finds nothing more on a second run', async () => {
    await expect(expireConsents(db.dataSource, { now: NOW, awaitingMaxAgeSeconds: 3600, concurrency: 1 })).resolves.toEqual({
      skipped: false,
      pastExpiration: 0,
      awaitingTooLong: 0,
      revokedTokens: 0,
      auditEvents: 0,
      batches: 2,
    });
  });

  it('does nothing while another process holds the sweep lock', async () => {
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [CONSENT_EXPIRY_LOCK_KEY]);
      await expect(expireConsents(db.dataSource, { now: new Date('2027-06-01T00:00:00Z'), awaitingMaxAgeSeconds: 60 })).resolves.toMatchObject({
        skipped: true,
        pastExpiration: 0,
      });
      const [live] = await db.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = 'aac-live'`);
      expect(live.status).toBe('AUTH');
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [CONSENT_EXPIRY_LOCK_KEY]);
      await holder.release();
    }
  });

  it('writes what the TPP named verbatim in the event, escaped as JSON', async () => {
    const clientId = 'tpp-"quoted"\\back\\slash-é-\u0001';
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, 'TPP Q', '{AISP}', '{}')`, [clientId]);
    await db.dataSource.query(
      `INSERT INTO account_access_consent (consent_id, client_id, psu_id, status, permissions, expiration_date_time,
         creation_date_time, status_update_date_time, authorised_at)
       VALUES ('aac-"odd"\\id', $1, $2, 'AUTH', '{ReadAccountsBasic}', '2026-11-25T11:00:00Z',
               '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')`,
      [clientId, PSU],
    );
    await expect(expireConsents(db.dataSource, { now: NOW, awaitingMaxAgeSeconds: 3600, concurrency: 1 })).resolves.toMatchObject({
      pastExpiration: 1,
      auditEvents: 1,
    });
    const [row]: { event: Record<string, unknown> }[] = await db.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'consentId' = 'aac-"odd"\\id'`,
    );
    expect(row!.event).toMatchObject({ clientId, psuId: PSU, consentId: 'aac-"odd"\\id', data: { from: 'AUTH', revokedGrantRecords: 0 } });
  });

  it('expires a backlog across several connections, each consent once', async () => {
    const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
    await q(
      `INSERT INTO account_access_consent (consent_id, client_id, status, permissions, expiration_date_time,
         creation_date_time, status_update_date_time, grant_id)
       SELECT 'aac-backlog-' || n, 'tpp-x', 'AUTH', '{ReadAccountsBasic}', '2026-11-25T11:00:00Z', '2026-11-01T00:00:00Z',
              '2026-11-01T00:00:00Z', 'grant-backlog-' || n
       FROM generate_series(1, 60) n`,
    );
    await q(
      `INSERT INTO oidc_model (model, id, payload, grant_id)
       SELECT m, CASE WHEN m = 'Grant' THEN 'grant-backlog-' || n ELSE m || '-backlog-' || n END, '{}',
              CASE WHEN m = 'Grant' THEN NULL ELSE 'grant-backlog-' || n END
       FROM generate_series(1, 60) n, unnest(ARRAY['Grant', 'AccessToken', 'RefreshToken']) m`,
    );
    const result = await expireConsents(db.dataSource, { now: NOW, awaitingMaxAgeSeconds: 3600, batchSize: 7, concurrency: 3 });
    expect(result).toMatchObject({ skipped: false, pastExpiration: 60, awaitingTooLong: 0, revokedTokens: 180, auditEvents: 60 });

    const [counts] = await q(
      `SELECT (SELECT count(*)::int FROM account_access_consent WHERE consent_id LIKE 'aac-backlog-%' AND status = 'EXPD') AS expired,
              (SELECT count(*)::int FROM oidc_model WHERE id LIKE '%-backlog-%') AS tokens,
              (SELECT count(*)::int FROM audit_outbox WHERE event->>'consentId' LIKE 'aac-backlog-%') AS events,
              (SELECT count(DISTINCT event->>'consentId')::int FROM audit_outbox
                 WHERE event->>'consentId' LIKE 'aac-backlog-%') AS consents,
              (SELECT count(DISTINCT event_id)::int FROM audit_outbox WHERE event->>'consentId' LIKE 'aac-backlog-%') AS ids,
              (SELECT count(*)::int FROM audit_outbox WHERE event->>'eventId' <> event_id::text) AS mismatched_ids,
              (SELECT count(*)::int FROM audit_outbox WHERE event_id::text !~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]'
                 AND event->>'consentId' LIKE 'aac-backlog-%') AS not_v7,
              (SELECT count(*)::int FROM audit_outbox WHERE (event->'data'->>'revokedGrantRecords')::int <> 3
                 AND event->>'consentId' LIKE 'aac-backlog-%') AS wrong_counts`,
    );
    expect(counts).toEqual({ expired: 60, tokens: 0, events: 60, consents: 60, ids: 60, mismatched_ids: 0, not_v7: 0, wrong_counts: 0 });
  });
});
