import { DataSource } from '@consentry/database';
import { maskAccountNumber } from '@consentry/redaction';
import { Injectable } from '@nestjs/common';

import { recordAuditSearch } from '../audit/audit-search.audit.js';
import { AUDIT_LOG_COLUMNS, AuditLogEntryView, AuditLogRow, auditLogTable, toEntryView } from '../audit/audit-log.rows.js';
import { decodeListingCursor, keysetPage, listingAtColumn, olderThan } from '../../payment-views/payment-keyset.js';
import { PAYMENT_COLUMNS, PaymentRow, paymentRowsPage, PaymentStatus, PaymentView, toPaymentView } from '../../payment-views/payment-rows.js';
import { PaymentViewException, PaymentViewExceptionCode } from '../../payment-views/payment-view.exception.js';
import { ADMIN_PAYMENTS_DEFAULT_LIMIT, ADMIN_PAYMENTS_MAX_LIMIT } from './payments-query.dto.js';

/** What an administrator lists payments by; every field narrows. */
export interface AdminPaymentFilter {
  status?: PaymentStatus;
  clientId?: string;
  consentId?: string;
  /** Inclusive bounds on the payment's creation. */
  from?: Date;
  to?: Date;
}

/** A payment as the bank's administrators see it: the TPP, the PSU's id, the debtor and the payee masked. */
export interface AdminPaymentView extends PaymentView {
  tpp: { clientId: string; name: string | null };
  psuId: string | null;
  /** The PSU's account debited, masked to its last four characters. */
  debtorAccount: string;
}

export interface AdminPaymentsPage {
  payments: AdminPaymentView[];
  /** Cursor of the next (older) page; null on the last one. */
  next: string | null;
}

export interface AdminPaymentDetail {
  payment: AdminPaymentView;
  /** The payment's own audit events (submitted, status changes), oldest first, at most PAYMENT_AUDIT_EVENTS_LIMIT. */
  events: AuditLogEntryView[];
}

/** One payment's events are few (submitted, one or two status changes); the bound keeps a page small whatever happens. */
export const PAYMENT_AUDIT_EVENTS_LIMIT = 100;

type AdminPaymentRow = PaymentRow & { tpp_name: string | null; psu_id: string | null; debtor_identification: string | null };

function toAdminView(row: AdminPaymentRow): AdminPaymentView {
  return {
    ...toPaymentView(row),
    tpp: { clientId: row.client_id, name: row.tpp_name },
    psuId: row.psu_id,
    debtorAccount: maskAccountNumber(row.debtor_identification ?? ''),
  };
}

/** Both payment tables for the admin API and console: keyset-paged in SQL, newest first. */
@Injectable()
export class PaymentAdminService {
  constructor(private readonly dataSource: DataSource) {}

  async list(filter: AdminPaymentFilter, page: { cursor?: string; limit?: number }): Promise<AdminPaymentsPage> {
    const limit = Math.min(page.limit ?? ADMIN_PAYMENTS_DEFAULT_LIMIT, ADMIN_PAYMENTS_MAX_LIMIT);
    const params: unknown[] = [];
    const conditions: string[] = [];
    const add = (sql: string, value: unknown) => conditions.push(sql.replace('?', `$${params.push(value)}`));
    if (filter.status) add('p.status = ?', filter.status);
    if (filter.clientId) add('p.client_id = ?', filter.clientId);
    if (filter.consentId) add('p.consent_id = ?', filter.consentId);
    if (filter.from) add('p.creation_date_time >= ?', filter.from);
    if (filter.to) add('p.creation_date_time <= ?', filter.to);
    if (page.cursor) conditions.push(olderThan('p', 'payment_id', decodeListingCursor(page.cursor), params));
    const rows = await this.query(conditions, params, limit + 1);
    const shown = keysetPage(rows, limit, (row) => row.payment_id);
    return { payments: shown.rows.map(toAdminView), next: shown.next };
  }

  /**
   * One payment with its audit events, found by the paymentId each payment event carries (indexed). It
   * reads the audit trail, so it is recorded as `audit.searched` (PCI DSS 10.2.1.3).
   */
  async detail(paymentId: string, by: { adminId: string; interactionId?: string; channel: 'api' | 'console' }): Promise<AdminPaymentDetail> {
    const [row] = await this.query(['p.payment_id = $1'], [paymentId], 1);
    if (!row) throw new PaymentViewException(PaymentViewExceptionCode.NotFound, 'No such payment');
    const events: AuditLogRow[] = await this.dataSource.query(
      `SELECT ${AUDIT_LOG_COLUMNS} FROM ${auditLogTable(this.dataSource)}
        WHERE (event #>> '{data,paymentId}') = $1 ORDER BY seq LIMIT $2`,
      [paymentId, PAYMENT_AUDIT_EVENTS_LIMIT],
    );
    await recordAuditSearch(this.dataSource, { ...by, filter: { paymentId }, results: events.length });
    return { payment: toAdminView(row), events: events.map(toEntryView) };
  }

  private query(conditions: string[], params: unknown[], limit: number): Promise<AdminPaymentRow[]> {
    return this.dataSource.query(adminPaymentsSql(conditions, params, limit), params);
  }
}

/**
 * The admin list's statement: the newest `limit` payments under `conditions` (over `p`, their values in
 * `params`, to which the limit is added), each table paged on its own (paymentRowsPage) before the merge.
 */
export function adminPaymentsSql(conditions: string[], params: unknown[], limit: number): string {
  params.push(limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return `SELECT ${PAYMENT_COLUMNS}, ${listingAtColumn('p')}, t.name AS tpp_name, pc.psu_id, a.identification AS debtor_identification
     FROM ${paymentRowsPage(where, `$${params.length}`)}
     LEFT JOIN tpp t ON t.client_id = p.client_id
     LEFT JOIN payment_consent pc ON pc.consent_id = p.consent_id
     LEFT JOIN account a ON a.account_id = p.debtor_account_id
    ORDER BY p.creation_date_time DESC, p.payment_id DESC
    LIMIT $${params.length}`;
}
