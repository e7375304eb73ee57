import { consentEndedAt, ConsentException, consentLiveCondition, describePermissions, isConsentLive, Permission, PermissionGroup } from '@consentry/consents';
import { ConsentStatus, DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { CustomerService } from '../customer/customer.service.js';
import { decodeListingCursor, keysetPage, listingAtColumn, olderThan } from '../payment-views/payment-keyset.js';
import { PageLoginForm } from './page-forms.js';
import { PageSignIn, signInForPage } from './page-sign-in.js';

/** An account as the dashboard names it: never its number, only what the PSU calls it and the bank. */
export interface DashboardAccount {
  name: string;
  bank: string;
  currency: string;
}

/** One consent as its PSU sees it on the dashboard. */
export interface DashboardConsent {
  consentId: string;
  tppName: string;
  status: ConsentStatus;
  /** Usable by the TPP right now (authorised and not past its expiry): only these can be revoked. */
  live: boolean;
  permissions: PermissionGroup[];
  accounts: DashboardAccount[];
  requestedAt: Date;
  grantedAt: Date | null;
  expiresAt: Date | null;
  /** When it ended (consentEndedAt; until 7 December 2026 an unswept expiry showed its approval as its end); null while awaiting approval or live. */
  endedAt: Date | null;
  /** The newest `data.accessed` event of the chained audit log for this consent. */
  lastAccessedAt: Date | null;
}

export type DashboardRevocation = 'revoked' | 'not_revocable';

export type DashboardCancellation = 'cancelled' | 'cancelled_run_with_bank' | 'not_cancellable';

interface ConsentRow {
  consent_id: string;
  tpp_name: string;
  status: ConsentStatus;
  permissions: Permission[];
  creation_date_time: Date;
  authorised_at: Date | null;
  expiration_date_time: Date | null;
  status_update_date_time: Date;
  last_accessed_at: Date | null;
  accounts: DashboardAccount[];
  listing_at: string;
}

/** Consents a dashboard page shows: the newest first, the rest behind "Older consents". */
export const DASHBOARD_CONSENTS_PER_PAGE = 20;

/** A page of the PSU's consents, with the counts of all of them for the page's summary. */
export interface DashboardConsentsPage {
  consents: DashboardConsent[];
  /** Cursor of the next (older) page; null on the last one. */
  next: string | null;
  total: number;
  live: number;
}

/**
 * The customer dashboard's reads and acts. Sign-in, sign-out and revocation go through the customer
 * API's own service, so a page and `DELETE /customer/consents/{id}` can never behave differently.
 */
@Injectable()
export class DashboardService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly customer: CustomerService,
  ) {}

  signIn(form: PageLoginForm, ip: string, interactionId: string): Promise<PageSignIn> {
    return signInForPage(() => this.customer.signIn({ username: form.username, password: form.password, otp: form.otp }, ip, interactionId));
  }

  signOut(sessionToken: string): Promise<void> {
    return this.customer.signOut(sessionToken);
  }

  /**
   * Every consent the PSU has answered, across TPPs and banks, newest first. Last access comes from the
   * audit log (`data.accessed`, indexed by consent), the record a regulator reads too, so the dashboard
   * shows what was actually recorded; an access still on its way through the outbox appears within
   * about a second.
   */
  async listConsents(psuId: string, page: { cursor?: string } = {}, now = new Date()): Promise<DashboardConsentsPage> {
    const params: unknown[] = [psuId];
    const conditions = ['c.psu_id = $1'];
    if (page.cursor) conditions.push(olderThan('c', 'consent_id', decodeListingCursor(page.cursor), params));
    params.push(DASHBOARD_CONSENTS_PER_PAGE + 1);
    // A keyset page off account_access_consent_psu_listed_idx; the accounts and the last access of the page's consents only.
    const rows: ConsentRow[] = await this.dataSource.query(
      `SELECT c.consent_id, t.name AS tpp_name, c.status, c.permissions, c.creation_date_time, c.authorised_at,
              c.expiration_date_time, c.status_update_date_time, ${listingAtColumn('c')},
              (SELECT max(l.occurred_at) FROM audit_log l
                WHERE l.consent_id = c.consent_id AND l.event_type = 'data.accessed') AS last_accessed_at,
              (SELECT coalesce(json_agg(json_build_object('name', coalesce(a.nickname, a.description, a.account_type_code),
                                                          'bank', b.name, 'currency', trim(a.currency))
                                        ORDER BY b.name, a.nickname, a.account_id), '[]')
                 FROM consent_account ca
                 JOIN account a ON a.account_id = ca.account_id
                 LEFT JOIN aspsp b ON b.aspsp_id = a.aspsp_id
                WHERE ca.consent_id = c.consent_id) AS accounts
         FROM account_access_consent c
         JOIN tpp t ON t.client_id = c.client_id
        WHERE ${conditions.join(' AND ')}
        ORDER BY c.creation_date_time DESC, c.consent_id DESC
        LIMIT $${params.length}`,
      params,
    );
    // What the page's summary counts: all of the PSU's consents, not the page's.
    const [counts]: Array<{ total: number; live: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE ${consentLiveCondition('c', '$2')})::int AS live
         FROM account_access_consent c WHERE c.psu_id = $1`,
      [psuId, now],
    );
    const { rows: shown, next } = keysetPage(rows, DASHBOARD_CONSENTS_PER_PAGE, (row) => row.consent_id);
    return { consents: this.views(shown, now), next, total: counts?.total ?? 0, live: counts?.live ?? 0 };
  }

  private views(rows: ConsentRow[], now: Date): DashboardConsent[] {
    return rows.map((row) => ({
      consentId: row.consent_id,
      tppName: row.tpp_name,
      status: row.status,
      live: isConsentLive({ status: row.status, expirationDateTime: row.expiration_date_time }, now),
      permissions: describePermissions(row.permissions),
      accounts: row.accounts,
      requestedAt: row.creation_date_time,
      grantedAt: row.authorised_at,
      expiresAt: row.expiration_date_time,
      endedAt: consentEndedAt({ status: row.status, expirationDateTime: row.expiration_date_time, statusUpdateDateTime: row.status_update_date_time }, now),
      lastAccessedAt: row.last_accessed_at,
    }));
  }

  /** Cancels one of the PSU's scheduled payments or standing orders through the customer API's use cases. */
  async cancelPayment(psuId: string, target: { scheduledPaymentId: string } | { standingOrderId: string }, interactionId: string): Promise<DashboardCancellation> {
    try {
      if ('scheduledPaymentId' in target) {
        await this.customer.cancelScheduledPayment(psuId, target.scheduledPaymentId, interactionId);
        return 'cancelled';
      }
      // A run already sent to the bank stays the bank's: the PSU is told it may still be paid.
      const { runWithBank } = await this.customer.cancelStandingOrder(psuId, target.standingOrderId, interactionId);
      return runWithBank ? 'cancelled_run_with_bank' : 'cancelled';
    } catch (error) {
      // Not theirs, already run or cancelled meanwhile: the page says so rather than failing.
      if (error instanceof ConsentException) return 'not_cancellable';
      throw error;
    }
  }

  /** Revokes through the customer API's use case: the PSU's own consent only, grant and tokens with it. */
  async revoke(psuId: string, consentId: string, interactionId: string): Promise<DashboardRevocation> {
    try {
      await this.customer.revokeConsent(psuId, consentId, interactionId);
      return 'revoked';
    } catch (error) {
      // Not theirs, already ended, or expired meanwhile: the page says so rather than failing.
      if (error instanceof ConsentException) return 'not_revocable';
      throw error;
    }
  }
}
