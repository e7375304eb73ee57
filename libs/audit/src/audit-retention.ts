import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

import { AuditLogEntity, DataSource } from '@consentry/database';

import { AUDIT_GENESIS_HASH, computeAuditEntryHash } from './audit-chain.js';
import { ndjsonByteLines, ndjsonLine } from './ndjson.js';

/** First line of a retention export: where the exported segment sits in the chain. */
export interface AuditExportHeader {
  kind: 'consentry.audit-export';
  version: 1;
  firstSeq: string;
  lastSeq: string;
  /** prev_hash of the first exported entry (the genesis hash, or the previous export's lastHash). */
  prevHash: string;
  /** Hash of the last exported entry: the anchor the first remaining entry chains onto. */
  lastHash: string;
  entries: number;
  exportedAt: string;
}

/** One exported entry: the stored row, enough to recompute its hash. */
export interface AuditExportEntry {
  seq: string;
  eventId: string;
  type: string;
  occurredAt: string;
  recordedAt: string;
  event: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditRetentionResult {
  /** Entries exported and removed; 0 when nothing was old enough. */
  removed: number;
  file: string | null;
  sha256: string | null;
  /** The anchor the remaining log now starts from. */
  anchor: { seq: bigint; hash: string } | null;
}

interface Row {
  seq: string;
  event_id: string;
  event_type: string;
  occurred_at: Date;
  recorded_at: Date;
  event: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/**
 * Retention: exports the prefix of the log chained before `olderThan` to NDJSON (a header with the
 * anchor hashes, then one entry a line), checks the exported segment links up, fsyncs the file, then
 * removes exactly that prefix through `audit_log_prune` (the only way past the append-only trigger).
 * The connection needs EXECUTE on audit_log_prune: run it with the maintenance role.
 */
export async function exportAndPruneAuditLog(
  dataSource: DataSource,
  options: { olderThan: Date; exportDir: string; batchSize?: number },
): Promise<AuditRetentionResult> {
  const table = dataSource.getMetadata(AuditLogEntity).tableName;
  const batchSize = options.batchSize ?? 5_000;
  const [bounds]: { first: string | null; before: string | null; last: string | null }[] = await dataSource.query(
    `SELECT (SELECT min(seq) FROM ${table}) AS first,
            (SELECT seq FROM ${table} WHERE recorded_at >= $1 ORDER BY seq LIMIT 1) AS before,
            (SELECT max(seq) FROM ${table}) AS last`,
    [options.olderThan],
  );
  if (!bounds?.first) return { removed: 0, file: null, sha256: null, anchor: null };
  // Keep at least the head: the chain continues from it, and a checkpoint names it.
  const beforeSeq = bounds.before ? BigInt(bounds.before) : BigInt(bounds.last!);
  const firstSeq = BigInt(bounds.first);
  if (beforeSeq <= firstSeq) return { removed: 0, file: null, sha256: null, anchor: null };
  const lastSeq = beforeSeq - 1n;

  const [edges]: { prev_hash: string; last_hash: string }[] = await dataSource.query(
    `SELECT (SELECT prev_hash FROM ${table} WHERE seq = $1) AS prev_hash, (SELECT hash FROM ${table} WHERE seq = $2) AS last_hash`,
    [firstSeq.toString(), lastSeq.toString()],
  );
  await mkdir(options.exportDir, { recursive: true });
  const name = `audit-${firstSeq.toString().padStart(20, '0')}-${lastSeq.toString().padStart(20, '0')}.ndjson`;
  const file = join(options.exportDir, name);
  const partial = `${file}.partial`;
  const digest = createHash('sha256');
  const handle = await open(partial, 'w');
  try {
    const header: AuditExportHeader = {
      kind: 'consentry.audit-export',
      version: 1,
      firstSeq: firstSeq.toString(),
      lastSeq: lastSeq.toString(),
      prevHash: edges!.prev_hash,
      lastHash: edges!.last_hash,
      entries: Number(lastSeq - firstSeq + 1n),
      exportedAt: new Date().toISOString(),
    };
    const write = async (value: unknown) => {
      const line = ndjsonLine(value);
      digest.update(line);
      await handle.write(line);
    };
    await write(header);
    let expectedSeq = firstSeq;
    let prevHash = edges!.prev_hash;
    while (expectedSeq <= lastSeq) {
      const rows: Row[] = await dataSource.query(
        `SELECT seq, event_id, event_type, occurred_at, recorded_at, event, prev_hash, hash
         FROM ${table} WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
        [expectedSeq.toString(), lastSeq.toString(), batchSize],
      );
      if (rows.length === 0) break;
      const lines: string[] = [];
      for (const row of rows) {
        const entry = toExportEntry(row);
        // Never destroy evidence of tampering: a segment that does not link up is not removed.
        const reason = checkEntry(entry, expectedSeq, prevHash);
        if (reason) throw new Error(`refusing to remove entries: entry ${expectedSeq} ${reason}`);
        prevHash = entry.hash;
        expectedSeq += 1n;
        lines.push(ndjsonLine(entry));
      }
      const chunk = lines.join('');
      digest.update(chunk);
      await handle.write(chunk);
    }
    if (expectedSeq !== lastSeq + 1n) throw new Error(`refusing to remove entries: entry ${expectedSeq} is missing`);
    if (prevHash !== edges!.last_hash) throw new Error('refusing to remove entries: the segment does not end on its anchor');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, file);
  const sha256 = digest.digest('hex');
  const [result]: { removed: string }[] = await dataSource.query(`SELECT audit_log_prune($1, $2, $3, $4) AS removed`, [
    beforeSeq.toString(),
    edges!.last_hash,
    name,
    sha256,
  ]);
  return { removed: Number(result!.removed), file, sha256, anchor: { seq: lastSeq, hash: edges!.last_hash } };
}

function toExportEntry(row: Row): AuditExportEntry {
  return {
    seq: row.seq,
    eventId: row.event_id,
    type: row.event_type,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    event: row.event,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function checkEntry(entry: AuditExportEntry, expectedSeq: bigint, expectedPrevHash: string): string | undefined {
  if (BigInt(entry.seq) !== expectedSeq) return `is missing (the next entry is ${entry.seq})`;
  if (entry.prevHash !== expectedPrevHash) return 'prev_hash does not match the previous hash';
  const hash = computeAuditEntryHash(entry.prevHash, {
    seq: expectedSeq,
    eventId: entry.eventId,
    type: entry.type,
    occurredAt: entry.occurredAt,
    event: entry.event,
  });
  return hash === entry.hash ? undefined : 'hash does not match the entry content';
}

export type AuditExportVerification =
  | { ok: true; header: AuditExportHeader; entries: number }
  | { ok: false; entries: number; reason: string };

/**
 * Recomputes the chain inside a retention export. `expectedPrevHash` is the previous export's
 * `lastHash` (or omit it for the first export, which must start on the genesis hash when it starts at 1).
 */
export async function verifyAuditExport(file: string, expectedPrevHash?: string): Promise<AuditExportVerification> {
  let header: AuditExportHeader | undefined;
  let expectedSeq = 0n;
  let prevHash = '';
  let entries = 0;
  // Lines end at line feeds alone: an entry holding U+2028, written raw before 7 December 2026, is one line
  // (Node's readline, which read these files until then, split it and the export could not be verified).
  for await (const { line: bytes } of ndjsonByteLines(file)) {
    if (bytes.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return { ok: false, entries, reason: `${header ? `entry ${expectedSeq}` : 'the header'} is not JSON` };
    }
    if (!header) {
      header = value as AuditExportHeader;
      if (header.kind !== 'consentry.audit-export') return { ok: false, entries, reason: 'not an audit export' };
      expectedSeq = BigInt(header.firstSeq);
      prevHash = header.prevHash;
      if (expectedPrevHash !== undefined && prevHash !== expectedPrevHash) {
        return { ok: false, entries, reason: 'does not continue the previous export' };
      }
      if (expectedSeq === 1n && prevHash !== AUDIT_GENESIS_HASH) return { ok: false, entries, reason: 'entry 1 must follow the genesis hash' };
      continue;
    }
    const entry = value as AuditExportEntry;
    const reason = checkEntry(entry, expectedSeq, prevHash);
    if (reason) return { ok: false, entries, reason: `entry ${expectedSeq} ${reason}` };
    prevHash = entry.hash;
    expectedSeq += 1n;
    entries += 1;
  }
  if (!header) return { ok: false, entries, reason: 'the file is empty' };
  if (entries !== header.entries || prevHash !== header.lastHash) {
    return { ok: false, entries, reason: `the export ends early: ${entries} of ${header.entries} entries` };
  }
  return { ok: true, header, entries };
}

/**
 * Whether `file`, an export that verified on its own (verifyAuditExport), is the one the database's
 * retention cut of its entries recorded: the same SHA-256, and starting where the cut before it ended (at
 * entry 1 when it is the first). An export is self-consistent by construction, so its own check cannot
 * tell a file whose first entries were cut off, with its header's firstSeq, prevHash and count adjusted:
 * until 7 December 2026 such a file passed `audit:verify -- --anchor-export`. (Whoever can also rewrite
 * `audit_retention_cut` is the database owner; against them the signed checkpoints are the proof.)
 */
export async function verifyAuditExportRecorded(dataSource: DataSource, file: string, header: AuditExportHeader): Promise<{ ok: true } | { ok: false; reason: string }> {
  const beforeSeq = (BigInt(header.lastSeq) + 1n).toString();
  const cuts: Array<{ before_seq: string; export_sha256: string }> = await dataSource.query(
    `SELECT before_seq::text AS before_seq, export_sha256 FROM audit_retention_cut WHERE before_seq <= $1 ORDER BY before_seq DESC LIMIT 2`,
    [beforeSeq],
  );
  const [cut, previous] = cuts;
  if (!cut || cut.before_seq !== beforeSeq) return { ok: false, reason: `no retention cut of the log recorded an export ending at entry ${header.lastSeq}` };
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
  if (digest.digest('hex') !== cut.export_sha256) return { ok: false, reason: 'the file is not the export its retention cut recorded (SHA-256 differs)' };
  const expectedFirst = previous?.before_seq ?? '1';
  if (header.firstSeq !== expectedFirst) return { ok: false, reason: `the export starts at entry ${header.firstSeq}, where the cut before it ended at ${expectedFirst}` };
  return { ok: true };
}
