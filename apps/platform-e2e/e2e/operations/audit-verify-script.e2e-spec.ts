import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditChainWriter, AuditEvent, AuditExportEntry, AuditExportHeader, exportAndPruneAuditLog } from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { ROOT } from '../../../../scripts/platform.js';

function verify(databaseUrl: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/audit-verify.js'), '--no-checkpoints', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

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
 * `npm run audit:verify -- --anchor-export FILE` as an operator runs it (the built libs, DATABASE_URL): the
 * export must be the file its retention cut recorded. Until 7 December 2026 one whose first entries were
 * cut off, its header adjusted to match, verified as intact.
 */
describe('npm run audit:verify with a retention export', () => {
  let db: TestDatabase;
  let exportDir: string;
  let exportFile: string;

  beforeAll(async () => {
    db = await createTestDatabase('audit_verify_script');
    exportDir = await mkdtemp(join(tmpdir(), 'consentry-audit-verify-'));
    const writer = new AuditChainWriter(db.dataSource);
    await writer.append([1, 2, 3, 4].map(auditEvent));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writer.append([5, 6].map(auditEvent));
    exportFile = (await exportAndPruneAuditLog(db.dataSource, { olderThan: cutoff, exportDir })).file!;
  });
  afterAll(async () => {
    await db?.drop();
    if (exportDir) await rm(exportDir, { recursive: true, force: true });
  });

  it('passes the export as written and the log chained onto it, and refuses the export once its first entries are cut off', async () => {
    const intact = await verify(db.url, '--anchor-export', exportFile);
    expect(intact.stdout, intact.stderr).toMatch(/^audit chain intact: 2 entries verified/);
    expect(intact.code).toBe(0);

    const [headerLine, ...entryLines] = (await readFile(exportFile, 'utf8')).trim().split('\n');
    const header = JSON.parse(headerLine!) as AuditExportHeader;
    const kept = entryLines.map((line) => JSON.parse(line) as AuditExportEntry).slice(2);
    const forged: AuditExportHeader = { ...header, firstSeq: kept[0]!.seq, prevHash: kept[0]!.prevHash, entries: kept.length };
    await writeFile(exportFile, [forged, ...kept].map((value) => `${JSON.stringify(value)}\n`).join(''));
    const cut = await verify(db.url, '--anchor-export', exportFile);
    expect(cut.stdout).toBe('retention export BROKEN: the file is not the export its retention cut recorded (SHA-256 differs)\n');
    expect(cut.code).toBe(1);
  });
});
