import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AuditChainWriter, AuditEvent, linkAuditEntries, readAuditCheckpoints, verifyAuditChain } from '@consentry/audit';
import { loadWorkerConfig, WorkerConfig } from '@consentry/config';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { CryptoKey, importJWK, JWK, KeyObject } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditCheckpointWriter, SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE } from '../../src/audit/audit-checkpoint.writer.js';
import { WorkerMetrics } from '../../src/health/worker.metrics.js';

function auditEvent(n: number): AuditEvent {
  return {
    eventId: randomUUID(),
    type: 'consent.authorised',
    occurredAt: new Date(Date.UTC(2026, 10, 20, 10, 0, n)).toISOString(),
    actor: { type: 'psu', id: 'psu-1' },
    clientId: 'tpp-1',
    consentId: `aac-${n}`,
    data: { n },
  };
}

interface HeadRow {
  hash: string;
}

/**
 * A signed checkpoint is never replaced. Until 7 December 2026 a restarted worker (or a second one) signed
 * the head again and renamed its file over the old checkpoint of the same entry: a chain rewritten after
 * its checkpoint, hashes recomputed by whoever can write the database, lost the one record that exposed
 * it and verified as intact.
 */
describe('audit checkpoints: a restarted worker keeps the signed checkpoint of a rewritten head', () => {
  let db: TestDatabase;
  let dataDir: string;
  let config: WorkerConfig;
  let publicKey: CryptoKey | KeyObject;

  async function asMaliciousDba(sql: string, params: unknown[] = []): Promise<void> {
    await db.dataSource.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
    try {
      await db.dataSource.query(sql, params);
    } finally {
      await db.dataSource.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('checkpoint_never_replaced');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-checkpoint-kept-'));
    config = loadWorkerConfig({ DATABASE_URL: db.url, CONSENTRY_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  });

  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('still detects entries 7..8 rewritten after their checkpoint was signed, once a new worker process has run', async () => {
    const writer = new AuditChainWriter(db.dataSource);
    const before = new AuditCheckpointWriter(config, db.dataSource, new WorkerMetrics());
    await writer.append([1, 2, 3].map(auditEvent));
    await before.checkpointOnce();
    await writer.append([4, 5, 6].map(auditEvent));
    await before.checkpointOnce();
    await writer.append([7, 8].map(auditEvent));
    await before.checkpointOnce();
    const jwk = JSON.parse(await readFile(join(dataDir, SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE), 'utf8')) as JWK;
    publicKey = (await importJWK(jwk, 'ES256')) as CryptoKey;

    // The owner of the database rewrites entries 7 and 8, recomputing their hashes.
    const rows: { event: AuditEvent }[] = await db.dataSource.query(`SELECT event FROM audit_log WHERE seq >= 7 ORDER BY seq`);
    const [six]: HeadRow[] = await db.dataSource.query(`SELECT hash FROM audit_log WHERE seq = 6`);
    const forged = linkAuditEntries(
      { seq: 6n, hash: six!.hash },
      rows.map((row, i) => (i === 0 ? { ...row.event, data: { n: 'rewritten' } } : row.event)),
    );
    await asMaliciousDba(`DELETE FROM audit_log WHERE seq >= 7`);
    for (const entry of forged) {
      await db.dataSource.query(
        `INSERT INTO audit_log (seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash)
         VALUES ($1, $2, $3, $4, now(), $5, NULL, $6, $7, $8, $9)`,
        [entry.seq.toString(), entry.eventId, entry.type, entry.occurredAt, entry.event.clientId, entry.event.consentId,
          JSON.stringify(entry.event), entry.prevHash, entry.hash],
      );
    }
    // Before any restart the checkpoint of entry 8 shows the rewrite.
    const detected = await verifyAuditChain(db.dataSource, { checkpoints: await readAuditCheckpoints(config.auditCheckpointDir, publicKey) });
    expect(detected).toMatchObject({ ok: false, firstBrokenSeq: 8n });

    // A worker restarts (a deploy) or a second worker instance signs the head: the same seq, the forged hash.
    const metrics = new WorkerMetrics();
    const restarted = new AuditCheckpointWriter(config, db.dataSource, metrics);
    expect(await restarted.checkpointOnce()).toBeNull();
    expect(await metrics.render()).toMatch(/consentry_audit_checkpoint_conflicts_total 1/);

    const after = await verifyAuditChain(db.dataSource, { checkpoints: await readAuditCheckpoints(config.auditCheckpointDir, publicKey) });
    expect(after).toMatchObject({ ok: false, firstBrokenSeq: 8n });
  });
});
