import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { recordAuditSearch } from './audit-search.audit.js';
import { AuditFilter, describeAuditFilter, auditFilterSql } from './audit-filter.js';
import { AUDIT_LOG_COLUMNS, AuditLogEntryView, auditLogTable, AuditLogRow, toEntryView } from './audit-log.rows.js';

export const AUDIT_SEARCH_PAGE_SIZE = 50;

/** Where a page starts: the newest entries, entries older than `before`, or newer than `after`. */
export type AuditPageCursor = { before: string } | { after: string } | null;

export interface AuditSearchPage {
  /** Newest first. */
  entries: AuditLogEntryView[];
  /** Cursor (`after`) of the page of newer entries; null on the newest page. */
  newer: string | null;
  /** Cursor (`before`) of the page of older entries; null on the oldest page. */
  older: string | null;
}

/**
 * Searches the chained audit log newest first, keyset-paged on `seq` in both directions, so a page
 * costs the same however deep into the log it is and entries appended meanwhile never shift a page.
 */
@Injectable()
export class AuditSearchService {
  constructor(private readonly dataSource: DataSource) {}

  /** A page of the console's search, recorded as `audit.searched` with its filter (PCI DSS 10.2.1.3). */
  async searchAsAdmin(filter: AuditFilter, cursor: AuditPageCursor, by: { adminId: string; interactionId?: string }): Promise<AuditSearchPage> {
    const page = await this.search(filter, cursor);
    await recordAuditSearch(this.dataSource, { ...by, channel: 'console', filter: describeAuditFilter(filter), results: page.entries.length });
    return page;
  }

  async search(filter: AuditFilter, cursor: AuditPageCursor, pageSize = AUDIT_SEARCH_PAGE_SIZE): Promise<AuditSearchPage> {
    const towardsNewer = cursor !== null && 'after' in cursor;
    const rows = await this.fetch(filter, cursor, pageSize + 1);
    const more = rows.length > pageSize;
    const page = rows.slice(0, pageSize);
    if (towardsNewer) page.reverse();
    const entries = page.map(toEntryView);
    const newest = entries[0]?.seq;
    const oldest = entries[entries.length - 1]?.seq;
    // An empty page (nothing matches, or everything moved on): the page offers a fresh search instead.
    if (newest === undefined || oldest === undefined) return { entries, newer: null, older: null };
    // One side is known from the extra row fetched; the other needs one indexed existence check.
    const newer = towardsNewer ? more : cursor !== null && (await this.exists(filter, '>', newest));
    const older = towardsNewer ? await this.exists(filter, '<', oldest) : more;
    return { entries, newer: newer ? newest : null, older: older ? oldest : null };
  }

  private fetch(filter: AuditFilter, cursor: AuditPageCursor, limit: number): Promise<AuditLogRow[]> {
    const { conditions, params } = auditFilterSql(filter);
    let order = 'DESC';
    if (cursor !== null && 'before' in cursor) {
      params.push(cursor.before);
      conditions.push(`seq < $${params.length}`);
    } else if (cursor !== null) {
      params.push(cursor.after);
      conditions.push(`seq > $${params.length}`);
      order = 'ASC';
    }
    params.push(limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.dataSource.query(
      `SELECT ${AUDIT_LOG_COLUMNS} FROM ${auditLogTable(this.dataSource)} ${where} ORDER BY seq ${order} LIMIT $${params.length}`,
      params,
    );
  }

  private async exists(filter: AuditFilter, comparison: '<' | '>', seq: string): Promise<boolean> {
    const { conditions, params } = auditFilterSql(filter);
    params.push(seq);
    conditions.push(`seq ${comparison} $${params.length}`);
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${auditLogTable(this.dataSource)} WHERE ${conditions.join(' AND ')} LIMIT 1`, params);
    return rows.length > 0;
  }
}
