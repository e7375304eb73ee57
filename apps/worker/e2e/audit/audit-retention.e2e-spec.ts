import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AUDIT_GENESIS_HASH,
  AuditCheckpoint,
  AuditEvent,
  AuditExportEntry,
  AuditExportHeader,
  exportAndPruneAuditLog,
  linkAuditEntries,
  verifyAuditChain,
  verifyAuditExport,
  verifyAuditExportRecorded,
} from '@consentry/audit';
import { loadWorkerConfig } from '@consentry/config';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditChainWriter } from '@consentry/audit';
import { AuditRetentionProcessor } from '../../src/retention/audit-retention.processor.js';

function auditEvent(n: number): AuditEvent {
  return {
    eventId: randomUUID(),
    type: 'data.accessed',
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    actor: { type: 'tpp', id: 'tpp-1' },
    clientId: 'tpp-1',
    // Entry 2 holds the line and paragraph separators, which Node's readline takes for line breaks: until
    // 7 December 2026 they were written raw and read so, and such an export could not be verified.
    data: n === 2 ? { n, note: 'a\u2028b\u2029c' } : { n },
  };
}

describe('audit retention: export, then remove a prefix of the log', () => {
  let db: TestDatabase;
  let exportDir: string;
  let exportFile: string;
  let cutoff: Date;

  beforeAll(async () => {
    db = await createTestDatabase('audit_retention');
    exportDir = await mkdtemp(join(tmpdir(), 'consentry-retention-'));
    const writer = new AuditChainWriter(db.dataSource);
    await writer.append([1, 2, 3].map(auditEvent));
    await writer.append([4, 5, 6].map(auditEvent));
    await new Promise((resolve) => setTimeout(resolve, 20));
    cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writer.append([7, 8, 9, 10].map(auditEvent));
  });

  afterAll(async () => {
    await db?.drop();
    await rm(exportDir, { recursive: true, force: true });
  });

  it('refuses a plain DELETE, even of old entries', async () => {
    await expect(db.dataSource.query(`DELETE FROM audit_log WHERE seq = 1`)).rejects.toThrow('audit_log is append-only: DELETE refused');
  });

  it('exports the entries chained before the cut-off with their anchors, then removes exactly them', async () => {
    const [anchor] = await db.dataSource.query(`SELECT hash FROM audit_log WHERE seq = 6`);
    const result = await exportAndPruneAuditLog(db.dataSource, { olderThan: cutoff, exportDir, batchSize: 4 });
    expect(result).toEqual({ removed: 6, file: expect.stringMatching(/audit-0+1-0+6\.ndjson$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), anchor: { seq: 6n, hash: anchor.hash } });
    exportFile = result.file!;

    const lines = (await readFile(exportFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatchObject({ kind: 'consentry.audit-export', firstSeq: '1', lastSeq: '6', prevHash: AUDIT_GENESIS_HASH, lastHash: anchor.hash, entries: 6 });
    expect(lines.slice(1).map((entry) => entry.seq)).toEqual(['1', '2', '3', '4', '5', '6']);

    const [remaining] = await db.dataSource.query(`SELECT min(seq)::int AS first, max(seq)::int AS last, count(*)::int AS n FROM audit_log`);
    expect(remaining).toEqual({ first: 7, last: 10, n: 4 });
    const [cut] = await db.dataSource.query(`SELECT before_seq::int, anchor_hash, entries::int, export_sha256 FROM audit_retention_cut`);
    expect(cut).toEqual({ before_seq: 7, anchor_hash: anchor.hash, entries: 6, export_sha256: result.sha256 });
  });

  it('verifies the export on its own and what remains against its anchor', async () => {
    const exported = await verifyAuditExport(exportFile);
    expect(exported).toMatchObject({ ok: true, entries: 6 });
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 4, fromSeq: 7n });
    // With the anchor taken from the export file rather than from the database:
    const header = exported.ok ? exported.header : undefined;
    await expect(verifyAuditChain(db.dataSource, { anchor: { seq: BigInt(header!.lastSeq), hash: header!.lastHash } })).resolves.toMatchObject({
      ok: true,
      entries: 4,
    });
    await expect(verifyAuditChain(db.dataSource, { anchor: { seq: 6n, hash: '1'.repeat(64) } })).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 7n,
      reason: 'prev_hash does not match the hash of entry 6',
    });
  });

  it('finds an edited line in an export', async () => {
    const forged = join(exportDir, 'forged.ndjson');
    await writeFile(forged, (await readFile(exportFile, 'utf8')).replace('"n":3', '"n":33'));
    await expect(verifyAuditExport(forged)).resolves.toEqual({ ok: false, entries: 2, reason: 'entry 3 hash does not match the entry content' });
  });

  it('refuses an export that is not the file its retention cut recorded: its first entries cut off, the header adjusted to match', async () => {
    const exported = await verifyAuditExport(exportFile);
    expect(exported.ok && (await verifyAuditExportRecorded(db.dataSource, exportFile, exported.header))).toEqual({ ok: true });
    const [headerLine, ...entryLines] = (await readFile(exportFile, 'utf8')).trim().split('\n');
    const kept = entryLines.map((line) => JSON.parse(line) as AuditExportEntry).slice(2);
    const header: AuditExportHeader = { ...(JSON.parse(headerLine!) as AuditExportHeader), firstSeq: kept[0]!.seq, prevHash: kept[0]!.prevHash, entries: kept.length };
    const cut = join(exportDir, 'prefix-cut.ndjson');
    await writeFile(cut, [header, ...kept].map((value) => `${JSON.stringify(value)}\n`).join(''));
    // The file checks out on its own, and the log still chains onto it (until 7 December 2026 that was all
    // audit:verify -- --anchor-export asked): only the cut's record tells.
    const forged = await verifyAuditExport(cut);
    expect(forged.ok).toBe(true);
    if (!forged.ok) return;
    await expect(verifyAuditChain(db.dataSource, { anchor: { seq: BigInt(forged.header.lastSeq), hash: forged.header.lastHash } })).resolves.toMatchObject({ ok: true });
    await expect(verifyAuditExportRecorded(db.dataSource, cut, forged.header)).resolves.toEqual({
      ok: false,
      reason: 'the file is not the export its retention cut recorded (SHA-256 differs)',
    });
    // The cut's record rewritten to the forged file's digest (the database's owner, past the table's guard):
    // the export must still start where the cut before it ended, here at entry 1.
    const digest = createHash('sha256').update(await readFile(cut)).digest('hex');
    await db.dataSource.query(`ALTER TABLE audit_retention_cut DISABLE TRIGGER audit_retention_cut_append_only`);
    const [{ sha }]: Array<{ sha: string }> = await db.dataSource.query(`SELECT export_sha256 AS sha FROM audit_retention_cut WHERE before_seq = 7`);
    try {
      await db.dataSource.query(`UPDATE audit_retention_cut SET export_sha256 = $1 WHERE before_seq = 7`, [digest]);
      await expect(verifyAuditExportRecorded(db.dataSource, cut, forged.header)).resolves.toEqual({
        ok: false,
        reason: 'the export starts at entry 3, where the cut before it ended at 1',
      });
    } finally {
      await db.dataSource.query(`UPDATE audit_retention_cut SET export_sha256 = $1 WHERE before_seq = 7`, [sha]);
      await db.dataSource.query(`ALTER TABLE audit_retention_cut ENABLE TRIGGER audit_retention_cut_append_only`);
    }
  });

  it('lets the prune function remove nothing but a prefix', async () => {
    await expect(db.dataSource.query(`SELECT audit_log_prune(9, $1, 'x', 'y')`, ['0'.repeat(64)])).rejects.toThrow('anchor hash does not match entry 8');
    await expect(
      db.dataSource.transaction(async (manager) => {
        await manager.query(`SELECT set_config('consentry.audit_prune_before', '8', true)`);
        await manager.query(`DELETE FROM audit_log WHERE seq = 9`);
      }),
    ).rejects.toThrow('audit_log retention removes only entries before seq 8');
    const [count] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    expect(count.n).toBe(4);
  });

  it('removes nothing when no entry is old enough', async () => {
    await expect(exportAndPruneAuditLog(db.dataSource, { olderThan: new Date(0), exportDir })).resolves.toEqual({
      removed: 0,
      file: null,
      sha256: null,
      anchor: null,
    });
  });
});

describe('audit retention: what the database’s own records cannot be trusted to say', () => {
  let db: TestDatabase;
  let exportDir: string;
  let appRole: string;
  /** The signed checkpoints as the verifier reads them from outside the database (here, the hashes as written). */
  let heads: AuditCheckpoint[];

  beforeAll(async () => {
    db = await createTestDatabase('audit_retention_tamper');
    exportDir = await mkdtemp(join(tmpdir(), 'consentry-retention-tamper-'));
    const writer = new AuditChainWriter(db.dataSource);
    await writer.append([1, 2, 3, 4].map(auditEvent));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writer.append([5, 6, 7, 8].map(auditEvent));
    const rows: Array<{ seq: string; hash: string }> = await db.dataSource.query(`SELECT seq, hash FROM audit_log WHERE seq IN (2, 4, 8) ORDER BY seq`);
    heads = rows.map((row) => ({ seq: BigInt(row.seq), hash: row.hash, signedAt: new Date() }));
    await exportAndPruneAuditLog(db.dataSource, { olderThan: cutoff, exportDir });
    // A role that is not the tables' owner but was granted too much: DELETE on the log, INSERT on the cuts.
    appRole = `${db.name}_app`;
    await db.dataSource.query(`CREATE ROLE ${appRole} NOLOGIN`);
    await db.dataSource.query(`GRANT SELECT, INSERT, DELETE ON audit_log, audit_retention_cut TO ${appRole}`);
  });

  afterAll(async () => {
    // Roles are the server's, not the database's: this one goes before its database, which goes anyway.
    try {
      if (appRole) await db.dataSource.query(`DROP OWNED BY ${appRole}; DROP ROLE IF EXISTS ${appRole}`);
    } finally {
      await db?.drop();
      await rm(exportDir, { recursive: true, force: true });
    }
  });

  /** Runs `statements` as the application role, which sets the prune function's mark itself first. */
  async function asAppRoleWithMark(...statements: string[]): Promise<void> {
    await db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL ROLE ${appRole}`);
      await manager.query(`SELECT set_config('consentry.audit_prune_before', '9223372036854775807', true)`);
      for (const statement of statements) await manager.query(statement);
    });
  }

  it('verifies the pruned log against its cut and the signed checkpoints', async () => {
    await expect(verifyAuditChain(db.dataSource, { checkpoints: heads })).resolves.toMatchObject({ ok: true, entries: 4, fromSeq: 5n, checkpoints: 1 });
  });

  it('refuses a DELETE from a role that holds DELETE and sets the prune function’s mark itself', async () => {
    await expect(asAppRoleWithMark(`DELETE FROM audit_log WHERE seq = 6`)).rejects.toThrow('audit_log is append-only: DELETE refused');
    const [count] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    expect(count.n).toBe(4);
  });

  it('refuses that DELETE when the role also shadows the catalog with a temporary pg_roles naming it the owner', async () => {
    // The append-only trigger asks whether the session is the tables' owner; a session's temporary schema
    // is searched first unless a function's path says otherwise (until 6 December 2026 this deleted entry 6).
    await expect(
      asAppRoleWithMark(
        `CREATE TEMP TABLE pg_roles AS SELECT (SELECT relowner FROM pg_catalog.pg_class WHERE oid = 'audit_log'::regclass) AS oid, current_user::name AS rolname`,
        `DELETE FROM audit_log WHERE seq = 6`,
      ),
    ).rejects.toThrow('audit_log is append-only: DELETE refused');
    const [count] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    expect(count.n).toBe(4);
  });

  it('lets nobody but the prune function write a retention cut, and nobody change one', async () => {
    await expect(
      asAppRoleWithMark(`INSERT INTO audit_retention_cut (before_seq, anchor_hash, entries, export_file, export_sha256) VALUES (7, 'x', 0, 'x', 'x')`),
    ).rejects.toThrow('audit_retention_cut is written only by audit_log_prune: INSERT refused');
    await expect(db.dataSource.query(`UPDATE audit_retention_cut SET before_seq = 7`)).rejects.toThrow('UPDATE refused');
    await expect(db.dataSource.query(`DELETE FROM audit_retention_cut`)).rejects.toThrow('DELETE refused');
  });

  it('finds a forged cut: entries left below it, its anchor against a signed checkpoint, a cut beyond every checkpoint', async () => {
    const [entry6] = await db.dataSource.query(`SELECT hash FROM audit_log WHERE seq = 6`);
    // Someone able to switch the triggers off (the tables' owner) records a cut after entry 6, deleting nothing.
    await db.dataSource.query(`ALTER TABLE audit_retention_cut DISABLE TRIGGER audit_retention_cut_append_only`);
    try {
      await db.dataSource.query(`INSERT INTO audit_retention_cut (before_seq, anchor_hash, entries, export_file, export_sha256) VALUES (7, $1, 0, 'x', 'x')`, [entry6.hash]);
      await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: false, firstBrokenSeq: 5n, reason: 'entry 5 is still in the log below the retention cut at entry 7, which retention would have removed' });
      await db.dataSource.query(`DELETE FROM audit_retention_cut WHERE before_seq = 7`);
      // A cut whose anchor is not what a checkpoint signed for that entry.
      await db.dataSource.query(`INSERT INTO audit_retention_cut (before_seq, anchor_hash, entries, export_file, export_sha256) VALUES (9, $1, 0, 'x', 'x')`, ['0'.repeat(64)]);
      await db.dataSource.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
      await db.dataSource.query(`DELETE FROM audit_log`);
      await expect(verifyAuditChain(db.dataSource, { checkpoints: heads })).resolves.toMatchObject({
        ok: false,
        firstBrokenSeq: 8n,
        reason: 'the retention cut\'s anchor differs from the signed checkpoint of entry 8',
      });
      // A cut past the newest checkpoint, with the whole log gone: without checkpoints it would pass.
      await db.dataSource.query(`INSERT INTO audit_retention_cut (before_seq, anchor_hash, entries, export_file, export_sha256) VALUES (20, $1, 0, 'x', 'x')`, ['0'.repeat(64)]);
      await expect(verifyAuditChain(db.dataSource, { checkpoints: heads })).resolves.toMatchObject({
        ok: false,
        firstBrokenSeq: 20n,
        reason: 'the retention cut at entry 20 lies beyond every signed checkpoint (the newest is of entry 8)',
      });
    } finally {
      await db.dataSource.query(`ALTER TABLE audit_retention_cut ENABLE TRIGGER audit_retention_cut_append_only`);
      await db.dataSource.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
    }
  });
});

describe('the worker\'s retention job', () => {
  let db: TestDatabase;
  let exportDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('audit_retention_job');
    exportDir = await mkdtemp(join(tmpdir(), 'consentry-retention-job-'));
    // Five entries chained ten days ago and three today, inserted as the chain writer would.
    const entries = linkAuditEntries(null, [1, 2, 3, 4, 5, 6, 7, 8].map(auditEvent));
    for (const entry of entries) {
      await db.dataSource.query(
        `INSERT INTO audit_log (seq, event_id, event_type, occurred_at, recorded_at, client_id, event, prev_hash, hash)
         VALUES ($1, $2, $3, $4, now() - ($5 || ' days')::interval, $6, $7, $8, $9)`,
        [entry.seq.toString(), entry.eventId, entry.type, entry.occurredAt, entry.seq <= 5n ? '10' : '0', entry.event.clientId,
          JSON.stringify(entry.event), entry.prevHash, entry.hash],
      );
    }
  });

  afterAll(async () => {
    await db?.drop();
    await rm(exportDir, { recursive: true, force: true });
  });

  it('exports and removes the entries older than AUDIT_RETENTION_DAYS, and only those', async () => {
    const config = loadWorkerConfig({ DATABASE_URL: db.url, AUDIT_RETENTION_DAYS: '7', AUDIT_EXPORT_DIR: exportDir, LOG_LEVEL: 'silent' });
    const processor = new AuditRetentionProcessor(config, {} as Redis, {} as Redis);
    try {
      const result = await processor.process({ id: 'retention-1' } as Job);
      expect(result).toMatchObject({ removed: 5, anchor: { seq: 5n } });
    } finally {
      await processor.onModuleDestroy();
    }
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 3, fromSeq: 6n });
  });
});
