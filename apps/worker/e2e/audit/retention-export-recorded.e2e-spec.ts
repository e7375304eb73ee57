import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AuditChainWriter,
  AuditCheckpoint,
  AuditEvent,
  AuditExportEntry,
  AuditExportHeader,
  exportAndPruneAuditLog,
  verifyAuditChain,
  verifyAuditExport,
  verifyAuditExportRecorded,
} from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function auditEvent(n: number): AuditEvent {
  return {
    eventId: randomUUID(),
    type: 'data.accessed',
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    actor: { type: 'tpp', id: 'tpp-1' },
    clientId: 'tpp-1',
    data: { n },
  };
}

/**
 * A retention export is checked against the cut that recorded it (`audit:verify -- --anchor-export`): the
 * same SHA-256, starting where the cut before it ended. An export is self-consistent by construction, so
 * until 7 December 2026 one whose first entries were cut off, its header adjusted, passed.
 */
describe('audit retention: an export whose first entries were cut off is refused', () => {
  let db: TestDatabase;
  let exportDir: string;
  let exportFile: string;
  let checkpoints: AuditCheckpoint[];

  beforeAll(async () => {
    db = await createTestDatabase('retention_export_recorded');
    exportDir = await mkdtemp(join(tmpdir(), 'consentry-export-recorded-'));
    const writer = new AuditChainWriter(db.dataSource);
    await writer.append([1, 2, 3, 4].map(auditEvent));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writer.append([5, 6, 7, 8].map(auditEvent));
    // The worker's signed checkpoints, as the verifier reads them from outside the database.
    const rows: { seq: string; hash: string }[] = await db.dataSource.query(`SELECT seq, hash FROM audit_log WHERE seq IN (2, 4, 8) ORDER BY seq`);
    checkpoints = rows.map((row) => ({ seq: BigInt(row.seq), hash: row.hash, signedAt: new Date() }));
    const result = await exportAndPruneAuditLog(db.dataSource, { olderThan: cutoff, exportDir });
    exportFile = result.file!;
  });

  afterAll(async () => {
    await db?.drop();
    await rm(exportDir, { recursive: true, force: true });
  });

  it('accepts the export as written', async () => {
    const exported = await verifyAuditExport(exportFile);
    expect(exported.ok).toBe(true);
    expect(exported.ok && (await verifyAuditExportRecorded(db.dataSource, exportFile, exported.header))).toEqual({ ok: true });
  });

  it('refuses the first export once entries 1 and 2 are removed from it and its header adjusted', async () => {
    const [headerLine, ...entryLines] = (await readFile(exportFile, 'utf8')).trim().split('\n');
    const header = JSON.parse(headerLine!) as AuditExportHeader;
    const entries = entryLines.map((line) => JSON.parse(line) as AuditExportEntry);
    expect(header).toMatchObject({ firstSeq: '1', lastSeq: '4', entries: 4 });
    const kept = entries.slice(2);
    const forgedHeader: AuditExportHeader = { ...header, firstSeq: kept[0]!.seq, prevHash: kept[0]!.prevHash, entries: kept.length };
    await writeFile(exportFile, [forgedHeader, ...kept].map((value) => `${JSON.stringify(value)}\n`).join(''));

    // What `npm run audit:verify -- --anchor-export FILE` does with the worker's checkpoints.
    const exported = await verifyAuditExport(exportFile);
    // The file alone, and the log chained onto it, still check out (entry 2's signed checkpoint is in
    // neither): only the cut's record tells.
    expect(exported.ok).toBe(true);
    if (!exported.ok) return;
    const anchor = { seq: BigInt(exported.header.lastSeq), hash: exported.header.lastHash };
    expect((await verifyAuditChain(db.dataSource, { anchor, checkpoints })).ok).toBe(true);
    expect(await verifyAuditExportRecorded(db.dataSource, exportFile, exported.header)).toEqual({
      ok: false,
      reason: 'the file is not the export its retention cut recorded (SHA-256 differs)',
    });
  });
});
