import {
  accountAccessStatusAsOf,
  cancelScheduledPayment,
  cancelStandingOrder,
  ConsentException,
  ConsentExceptionCode,
  type ConsentStatusClock,
  describePermissions,
  isPaymentConsentId,
  Permission,
  PermissionGroup,
  RevokeAccountAccessConsent,
  RevokePaymentConsent,
} from '@consentry/consents';
import { type ConsentStatus, DataSource } from '@consentry/database';
import { CredentialAuthenticator } from '@consentry/identity';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { decodeListingCursor, keysetPage, listingAtColumn, olderThan } from '../payment-views/payment-keyset.js';
import { signInRefusal } from '../sessions/session.exception.js';
import { IssuedSession, SessionStore } from '../sessions/session.store.js';
import { CreateSessionDto } from '../sessions/create-session.dto.js';

/**
 * A standing order the PSU cancelled: its status now (`CANC`; `INCO` still for one whose every run was made,
 * when its last run, held for review, was what the cancel stopped), and whether a run already sent to its
 * bank and unanswered may still be paid (PSD2 Art. 80(1): received, it is the bank's), as the dashboard's
 * notice says.
 */
export interface CancelledStandingOrder {
  standingOrderId: string;
  status: 'CANC' | 'INCO';
  runWithBank: boolean;
}

/** A consent as its PSU sees it on the dashboard. */
export interface CustomerConsentView {
  consentId: string;
  tpp: { clientId: string; name: string };
  status: string;
  permissions: string[];
  /** Plain-words description of what the TPP can see. */
  permissionGroups: PermissionGroup[];
  accounts: Array<{ accountId: string; nickname: string | null; description: string | null; currency: string }>;
  creationDateTime: string;
  authorisedDateTime: string | null;
  statusUpdateDateTime: string;
  expirationDateTime: string | null;
  transactionFromDateTime: string | null;
  transactionToDateTime: string | null;
}

type Row = Record<string, unknown>;

export const CONSENTS_DEFAULT_LIMIT = 20;
export const CONSENTS_MAX_LIMIT = 50;

/** GET /customer/consents: a page of the PSU's account-access consents. */
export interface CustomerConsentsPage {
  consents: CustomerConsentView[];
  /** Cursor of the next (older) page; null on the last one. */
  next: string | null;
}

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : null;
}

/** A consent row as its PSU sees it, its status as the rules hold it at the clock's instant. */
function toConsentView(row: Row, clock: ConsentStatusClock): CustomerConsentView {
  const { status, statusUpdateDateTime } = accountAccessStatusAsOf(
    {
      status: row.status as ConsentStatus,
      creationDateTime: row.creation_date_time as Date,
      statusUpdateDateTime: row.status_update_date_time as Date,
      expirationDateTime: (row.expiration_date_time as Date | null) ?? null,
    },
    clock,
  );
  return {
    consentId: row.consent_id as string,
    tpp: { clientId: row.client_id as string, name: row.tpp_name as string },
    status,
    permissions: row.permissions as string[],
    permissionGroups: describePermissions(row.permissions as Permission[]),
    accounts: row.accounts as CustomerConsentView['accounts'],
    creationDateTime: iso(row.creation_date_time)!,
    authorisedDateTime: iso(row.authorised_at),
    statusUpdateDateTime: statusUpdateDateTime.toISOString(),
    expirationDateTime: iso(row.expiration_date_time),
    transactionFromDateTime: iso(row.transaction_from_date_time),
    transactionToDateTime: iso(row.transaction_to_date_time),
  };
}

@Injectable()
export class CustomerService {
  private readonly revoke: RevokeAccountAccessConsent;
  private readonly revokePayment: RevokePaymentConsent;

  constructor(
    private readonly dataSource: DataSource,
    private readonly authenticator: CredentialAuthenticator,
    private readonly sessions: SessionStore,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.revoke = new RevokeAccountAccessConsent(dataSource);
    this.revokePayment = new RevokePaymentConsent(dataSource);
  }

  async signIn(credentials: CreateSessionDto, ip: string, interactionId: string): Promise<IssuedSession> {
    const outcome = await this.authenticator.authenticatePsu({ ...credentials, ip, interactionId });
    if (!outcome.ok) throw signInRefusal(outcome);
    return this.sessions.issue('customer', { subjectId: outcome.subjectId, username: outcome.username, displayName: outcome.displayName });
  }

  signOut(token: string): Promise<void> {
    return this.sessions.end('customer', token);
  }

  /** The PSU's account-access consents, newest first, a keyset page at a time (`cursor`: the previous page's `next`). */
  async listConsents(psuId: string, page: { cursor?: string; limit?: number } = {}): Promise<CustomerConsentsPage> {
    const limit = Math.min(page.limit ?? CONSENTS_DEFAULT_LIMIT, CONSENTS_MAX_LIMIT);
    const params: unknown[] = [psuId];
    const conditions = ['c.psu_id = $1'];
    if (page.cursor) conditions.push(olderThan('c', 'consent_id', decodeListingCursor(page.cursor), params));
    params.push(limit + 1);
    // A keyset page off account_access_consent_psu_listed_idx; the accounts of the page's consents only.
    const rows: Row[] = await this.dataSource.query(
      `SELECT c.consent_id, c.client_id, t.name AS tpp_name, c.status, c.permissions, c.creation_date_time, c.authorised_at,
              c.status_update_date_time, c.expiration_date_time, c.transaction_from_date_time, c.transaction_to_date_time,
              ${listingAtColumn('c')},
              (SELECT coalesce(json_agg(json_build_object('accountId', a.account_id, 'nickname', a.nickname, 'description', a.description,
                                                          'currency', trim(a.currency)) ORDER BY a.account_id), '[]')
                 FROM consent_account ca JOIN account a ON a.account_id = ca.account_id
                WHERE ca.consent_id = c.consent_id) AS accounts
         FROM account_access_consent c
         JOIN tpp t ON t.client_id = c.client_id
        WHERE ${conditions.join(' AND ')}
        ORDER BY c.creation_date_time DESC, c.consent_id DESC
        LIMIT $${params.length}`,
      params,
    );
    const { rows: shown, next } = keysetPage(rows as Array<Row & { listing_at: string }>, limit, (row) => row.consent_id as string);
    const clock = this.statusClock();
    return { consents: shown.map((row) => toConsentView(row, clock)), next };
  }

  async revokeConsent(psuId: string, consentId: string, interactionId: string): Promise<void> {
    // A payment consent that can be revoked (VRP): the use case checks it is this PSU's; a domestic one
    // cannot be revoked (409 invalid_status).
    if (isPaymentConsentId(consentId)) {
      await this.revokePayment.execute({ consentId, by: { type: 'psu', psuId }, interactionId });
      return;
    }
    // Only a consent this PSU authorised: the use case alone would let a PSU end a consent nobody has
    // authorised yet (psu_id still null).
    const owned: Row[] = await this.dataSource.query(`SELECT 1 FROM account_access_consent WHERE consent_id = $1 AND psu_id = $2`, [consentId, psuId]);
    if (owned.length === 0) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
    await this.revoke.execute({ consentId, by: { type: 'psu', psuId }, interactionId });
  }

  /** One of this PSU's scheduled payments, cancelled before its date (cancelScheduledPayment checks whose it is). */
  cancelScheduledPayment(psuId: string, paymentId: string, interactionId: string): Promise<void> {
    return cancelScheduledPayment(this.dataSource, { paymentId, psuId, interactionId });
  }

  /** One of this PSU's standing orders, cancelled (cancelStandingOrder checks whose it is); whether a run stays with the bank. */
  async cancelStandingOrder(psuId: string, standingOrderId: string, interactionId: string): Promise<CancelledStandingOrder> {
    const { status, runWithBank } = await cancelStandingOrder(this.dataSource, { standingOrderId, psuId, interactionId });
    return { standingOrderId, status, runWithBank };
  }
}
