import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { auditSearchExportTrailerLine, recordAuditEvent } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { BankSigningKeys } from '../../message-signing/bank-signing-keys.js';
import { AuditExportException, AuditExportExceptionCode } from './audit-export.exception.js';
import { AUDIT_EXPORT_CONTENT_TYPES, AuditExportFormat, auditCsvHeader, auditCsvLine, auditNdjsonLine } from './audit-export.format.js';
import { AuditFilter, auditFilterSql, describeAuditFilter } from './audit-filter.js';
import { AUDIT_LOG_COLUMNS, auditLogTable, AuditLogRow, toEntryView } from './audit-log.rows.js';

/** Most entries one export carries: beyond it the admin narrows the filter (a time range, a TPP). */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;

// Rows read per query while streaming: memory stays flat whatever the export's size.
const BATCH_SIZE = 1000;

export interface AuditExportRequest {
  filter: AuditFilter;
  format: AuditExportFormat;
  adminId: string;
  interactionId: string;
  /** Where the admin asked: the console's button or the admin API. */
  channel: 'console' | 'api';
}

export interface AuditExport {
  fileName: string;
  contentType: string;
  rows: number;
  body: Readable;
}

/** Headers of an export download: an attachment, never cached, never sniffed into something else. */
export function auditExportHeaders(exported: AuditExport): Record<string, string> {
  return {
    'content-type': exported.contentType,
    'content-disposition': `attachment; filename="${exported.fileName}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-audit-export-rows': String(exported.rows),
  };
}

function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Exports the audit entries matching a filter as CSV or NDJSON, streamed in keyset batches. The export
 * is a snapshot up to the log's head when it starts, is bounded (AUDIT_EXPORT_MAX_ROWS), and is itself
 * audited (`audit.exported`) before the first byte leaves. An NDJSON export ends with a trailer signed
 * with the bank's message-signing key (libs/audit's audit-search-export.ts): its count, the SHA-256 of
 * the lines before it and the head it was cut at, so the file alone proves it is whole.
 */
@Injectable()
export class AuditExportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signingKeys: BankSigningKeys,
  ) {}

  async open(request: AuditExportRequest): Promise<AuditExport> {
    const table = auditLogTable(this.dataSource);
    // Aliased apart from `seq`: ORDER BY would otherwise sort the text alias ('9' after '61').
    const [head]: Array<{ head_seq: string; hash: string }> = await this.dataSource.query(`SELECT seq::text AS head_seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`);
    const throughSeq = head?.head_seq ?? '0';
    const { conditions, params } = auditFilterSql(request.filter);
    params.push(throughSeq, AUDIT_EXPORT_MAX_ROWS + 1);
    const [{ rows }]: [{ rows: number }] = await this.dataSource.query(
      `SELECT count(*)::int AS rows FROM (SELECT 1 FROM ${table} WHERE ${[...conditions, `seq <= $${params.length - 1}`].join(' AND ')} LIMIT $${params.length}) matching`,
      params,
    );
    if (rows > AUDIT_EXPORT_MAX_ROWS) {
      throw new AuditExportException(
        AuditExportExceptionCode.TooLarge,
        `More than ${AUDIT_EXPORT_MAX_ROWS} entries match; narrow the filter (time range, TPP, PSU, consent or type)`,
      );
    }
    await recordAuditEvent(this.dataSource.manager, {
      type: 'audit.exported',
      actor: { type: 'admin', id: request.adminId },
      interactionId: request.interactionId,
      data: { format: request.format, channel: request.channel, filter: describeAuditFilter(request.filter), rows, throughSeq: Number(throughSeq) },
    });
    return {
      fileName: `audit-events-${fileStamp(new Date())}.${request.format}`,
      contentType: AUDIT_EXPORT_CONTENT_TYPES[request.format],
      rows,
      body: Readable.from(request.format === 'ndjson' ? this.signedLines(request.filter, throughSeq, head?.hash ?? null) : this.lines(request.filter, request.format, throughSeq)),
    };
  }

  /** The NDJSON lines, then the signed trailer over them. */
  private async *signedLines(filter: AuditFilter, throughSeq: string, headHash: string | null): AsyncGenerator<string> {
    const digest = createHash('sha256');
    let rows = 0;
    for await (const batch of this.lines(filter, 'ndjson', throughSeq)) {
      digest.update(batch);
      rows += batch.split('\n').length - 1;
      yield batch;
    }
    const summary = { rows, throughSeq, headHash, filter: describeAuditFilter(filter), exportedAt: new Date().toISOString(), sha256: digest.digest('hex') };
    yield await auditSearchExportTrailerLine(summary, this.signingKeys.signer);
  }

  private async *lines(filter: AuditFilter, format: AuditExportFormat, throughSeq: string): AsyncGenerator<string> {
    const table = auditLogTable(this.dataSource);
    const line = format === 'csv' ? auditCsvLine : auditNdjsonLine;
    if (format === 'csv') yield auditCsvHeader();
    let after = '0';
    for (;;) {
      const { conditions, params } = auditFilterSql(filter);
      params.push(after, throughSeq, BATCH_SIZE);
      const where = [...conditions, `seq > $${params.length - 2}`, `seq <= $${params.length - 1}`].join(' AND ');
      const rows: AuditLogRow[] = await this.dataSource.query(
        `SELECT ${AUDIT_LOG_COLUMNS} FROM ${table} WHERE ${where} ORDER BY seq LIMIT $${params.length}`,
        params,
      );
      if (rows.length > 0) yield rows.map((row) => line(toEntryView(row))).join('');
      if (rows.length < BATCH_SIZE) return;
      after = String(rows[rows.length - 1]!.seq);
    }
  }
}
