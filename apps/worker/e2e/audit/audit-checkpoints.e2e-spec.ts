import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AuditEvent,
  auditCheckpointFileName,
  linkAuditEntries,
  readAuditCheckpoints,
  signAuditCheckpoint,
  verifyAuditChain,
} from '@consentry/audit';
import { loadWorkerConfig, WorkerConfig } from '@consentry/config';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { CryptoKey, generateKeyPair, importJWK, JWK, KeyObject } from 'jose';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { AuditChainWriter } from '@consentry/audit';
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

describe('signed checkpoints of the chain head', () => {
  let db: TestDatabase;
  let dataDir: string;
  let config: WorkerConfig;
  let writer: AuditChainWriter;
  let checkpointer: AuditCheckpointWriter;
  let publicKey: CryptoKey | KeyObject;

  async function asMaliciousDba(sql: string, params: unknown[] = []): Promise<void> {
    await db.dataSource.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
    try {
      await db.dataSource.query(sql, params);
    } finally {
      await db.dataSource.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
    }
  }

  const checkpoints = () => readAuditCheckpoints(config.auditCheckpointDir, publicKey);

  beforeAll(async () => {
    db = await createTestDatabase('audit_checkpoints');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-checkpoints-'));
    config = loadWorkerConfig({ DATABASE_URL: db.url, CONSENTRY_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    writer = new AuditChainWriter(db.dataSource);
    checkpointer = new AuditCheckpointWriter(config, db.dataSource, new WorkerMetrics());
    await checkpointer.checkpointOnce();
    const jwk = JSON.parse(await readFile(join(dataDir, SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE), 'utf8')) as JWK;
    publicKey = (await importJWK(jwk, 'ES256')) as CryptoKey;
  });

  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await asMaliciousDba(`DELETE FROM audit_log`);
    await rm(config.auditCheckpointDir, { recursive: true, force: true });
    checkpointer = new AuditCheckpointWriter(config, db.dataSource, new WorkerMetrics());
    await writer.append([1, 2, 3].map(auditEvent));
    await checkpointer.checkpointOnce();
    await writer.append([4, 5, 6].map(auditEvent));
    await checkpointer.checkpointOnce();
    await writer.append([7, 8].map(auditEvent));
    await checkpointer.checkpointOnce();
  });

  it('writes one checkpoint per head it saw, named by seq, and none while the head stands still', async () => {
    expect(await checkpointer.checkpointOnce()).toBeNull();
    expect((await readdir(config.auditCheckpointDir)).sort()).toEqual([3n, 6n, 8n].map(auditCheckpointFileName));
    const [head] = await db.dataSource.query(`SELECT hash FROM audit_log WHERE seq = 8`);
    expect((await checkpoints()).map((c) => [c.seq, c.hash])).toEqual([
      [3n, expect.stringMatching(/^[0-9a-f]{64}$/)],
      [6n, expect.stringMatching(/^[0-9a-f]{64}$/)],
      [8n, head.hash],
    ]);
  });

  it('verifies an intact chain against every checkpoint', async () => {
    await expect(verifyAuditChain(db.dataSource, { checkpoints: await checkpoints() })).resolves.toMatchObject({
      ok: true,
      entries: 8,
      checkpoints: 3,
    });
  });

  it('detects a truncated tail that the chain alone cannot show', async () => {
    await asMaliciousDba(`DELETE FROM audit_log WHERE seq > 6`);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 6 });
    await expect(verifyAuditChain(db.dataSource, { checkpoints: await checkpoints() })).resolves.toEqual({
      ok: false,
      entries: 6,
      firstBrokenSeq: 7n,
      reason: 'entry 7 is missing: a signed checkpoint shows the log reached entry 8',
    });
  });

  /** What the database's owner can do: rewrite the log from entry `from` on, every hash recomputed. */
  async function rewriteFrom(from: bigint): Promise<void> {
    const rows: { event: AuditEvent }[] = await db.dataSource.query(`SELECT event FROM audit_log WHERE seq >= $1 ORDER BY seq`, [from.toString()]);
    const [before] = await db.dataSource.query(`SELECT seq, hash FROM audit_log WHERE seq = $1`, [(from - 1n).toString()]);
    const forged = linkAuditEntries(
      { seq: from - 1n, hash: before.hash },
      rows.map((row, i) => (i === 0 ? { ...row.event, data: { n: 'rewritten' } } : row.event)),
    );
    await asMaliciousDba(`DELETE FROM audit_log WHERE seq >= $1`, [from.toString()]);
    for (const entry of forged) {
      await db.dataSource.query(
        `INSERT INTO audit_log (seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash)
         VALUES ($1, $2, $3, $4, now(), $5, NULL, $6, $7, $8, $9)`,
        [entry.seq.toString(), entry.eventId, entry.type, entry.occurredAt, entry.event.clientId, entry.event.consentId,
          JSON.stringify(entry.event), entry.prevHash, entry.hash],
      );
    }
  }

  it('detects a chain rewritten from an edited entry on, with every hash recomputed', async () => {
    await rewriteFrom(5n);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 8 });
    await expect(verifyAuditChain(db.dataSource, { checkpoints: await checkpoints() })).resolves.toEqual({
      ok: false,
      entries: 5,
      firstBrokenSeq: 6n,
      reason: 'hash differs from the signed checkpoint of entry 6',
    });
  });

  it('keeps the checkpoint of a head rewritten after it was signed: a restarted writer signs nothing for that entry, logs and counts the conflict', async () => {
    // Until 7 December 2026 a restarted worker (or a second one) renamed a new signature of the forged head
    // over the checkpoint of entry 8, and the rewritten chain verified as intact.
    await rewriteFrom(7n);
    await expect(verifyAuditChain(db.dataSource, { checkpoints: await checkpoints() })).resolves.toMatchObject({ ok: false, firstBrokenSeq: 8n });
    const metrics = new WorkerMetrics();
    expect(await new AuditCheckpointWriter(config, db.dataSource, metrics).checkpointOnce()).toBeNull();
    expect(await metrics.render()).toMatch(/consentry_audit_checkpoint_conflicts_total 1/);
    await expect(verifyAuditChain(db.dataSource, { checkpoints: await checkpoints() })).resolves.toMatchObject({ ok: false, firstBrokenSeq: 8n });
  });

  it('refuses a checkpoint signed with another key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const [head] = await db.dataSource.query(`SELECT hash FROM audit_log WHERE seq = 8`);
    await writeFile(join(config.auditCheckpointDir, auditCheckpointFileName(9n)), await signAuditCheckpoint({ seq: 9n, hash: head.hash }, privateKey));
    await expect(checkpoints()).rejects.toThrow(`checkpoint ${auditCheckpointFileName(9n)} does not verify: signature verification failed`);
  });
});
