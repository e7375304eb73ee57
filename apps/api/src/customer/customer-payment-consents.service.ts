import {
  canPaymentConsentTransition,
  type ConsentStatusClock,
  ConsentTermLine,
  describeStandingOrder,
  describeVrpControlParameters,
  paymentConsentStatusAsOf,
  sentUnansweredSql,
  VrpControlParameters,
} from '@consentry/consents';
import { DataSource, PaymentConsentKind, PaymentConsentStatus } from '@consentry/database';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { formatInstant } from '../dashboard/page-html.js';
import { decodeListingCursor, keysetPage, listingAtColumn, olderThan } from '../payment-views/payment-keyset.js';
import { MaskedPayee, maskedPayee } from '../payment-views/payment-parties.js';
import { PAYMENT_COLUMNS, PAYMENT_ROWS, PaymentRow, PaymentView, toPaymentView } from '../payment-views/payment-rows.js';
import { PaymentViewException, PaymentViewExceptionCode } from '../payment-views/payment-view.exception.js';

/** The payment consents a PSU sees: every kind, each with its payments (a standing order's are its runs). */
export const LISTED_PAYMENT_CONSENT_KINDS: readonly PaymentConsentKind[] = ['domestic-payment', 'domestic-scheduled-payment', 'domestic-vrp', 'funds-confirmation', 'domestic-standing-order'];

export const PAYMENT_CONSENTS_DEFAULT_LIMIT = 20;
export const PAYMENT_CONSENTS_MAX_LIMIT = 50;
/** How many of its newest payments each consent of a listing carries; the rest page on the consent's own list. */
export const PAYMENTS_PER_CONSENT = 5;
export const CONSENT_PAYMENTS_DEFAULT_LIMIT = 20;
export const CONSENT_PAYMENTS_MAX_LIMIT = 100;

/** A VRP consent's ControlParameters in plain words (the approval page's wording). */
export interface ControlParametersInWords {
  types: string[];
  maximumPerPayment: string;
  periodicLimits: string[];
  validFrom: string | null;
  validTo: string | null;
}

/** A payment consent as its PSU sees it: never an account number, the payee's masked. */
export interface CustomerPaymentConsentView {
  consentId: string;
  kind: PaymentConsentKind;
  tpp: { clientId: string; name: string };
  status: PaymentConsentStatus;
  statusReasonDescription: string | null;
  /** Whether the PSU can end it now (a live VRP or funds-confirmation consent). */
  revocable: boolean;
  creationDateTime: string;
  authorisedDateTime: string | null;
  statusUpdateDateTime: string;
  expirationDateTime: string | null;
  /** The PSU's account it pays from or checks, by name and bank. */
  debtorAccount: { name: string; bank: string; currency: string } | null;
  /** Who is paid, if the consent names them (masked). */
  payee: MaskedPayee | null;
  /** A single payment's amount. */
  amount: { amount: string; currency: string } | null;
  /** A scheduled payment's date. */
  executesOn: string | null;
  /**
   * A standing order consent's schedule in words (describeStandingOrder: the approval page's wording, dates
   * in UTC as the dashboard shows them) and, once the TPP set it up, its order: id, status and next run.
   */
  /** `cancellable`: the PSU can cancel it now (running, or its last run held for review). */
  standingOrder: { schedule: ConsentTermLine[]; standingOrderId: string | null; status: string | null; nextRunAt: string | null; cancellable: boolean } | null;
  /** A scheduled payment the PSU may still cancel (PDNG, not yet sent to its bank): its DomesticScheduledPaymentId. */
  cancellablePaymentId: string | null;
  /**
   * The scheduled payment, or a standing order's run, was sent to its bank and its answer is awaited (the
   * bank may have paid it): it cannot be cancelled until the bank answers.
   */
  awaitingBankAnswer: boolean;
  controlParameters: ControlParametersInWords | null;
  /** The consent's newest payments, newest first (at most PAYMENTS_PER_CONSENT). */
  payments: PaymentView[];
  /** Cursor of the consent's older payments (GET .../payments?cursor=), if any. */
  morePayments: string | null;
}

export interface CustomerPaymentConsentsPage {
  consents: CustomerPaymentConsentView[];
  /** Cursor of the next (older) page; null on the last one. */
  next: string | null;
}

export interface CustomerPaymentsPage {
  payments: PaymentView[];
  next: string | null;
}

interface ConsentRow {
  consent_id: string;
  kind: PaymentConsentKind;
  client_id: string;
  tpp_name: string;
  status: PaymentConsentStatus;
  status_reason_description: string | null;
  initiation: Record<string, unknown>;
  control_parameters: Record<string, unknown> | null;
  creation_date_time: Date;
  authorised_at: Date | null;
  status_update_date_time: Date;
  expiration_date_time: Date | null;
  debtor_name: string | null;
  debtor_bank: string | null;
  debtor_currency: string | null;
  standing_order_id: string | null;
  standing_order_status: string | null;
  next_run_at: Date | null;
  awaiting_bank: boolean;
  listing_at: string;
}

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

function inWords(params: Record<string, unknown> | null): ControlParametersInWords | null {
  if (!params) return null;
  const words = describeVrpControlParameters(params as unknown as VrpControlParameters);
  return { ...words, validFrom: iso(words.validFrom), validTo: iso(words.validTo) };
}

function singleAmount(row: ConsentRow): { amount: string; currency: string } | null {
  if (row.kind !== 'domestic-payment' && row.kind !== 'domestic-scheduled-payment') return null;
  const instructed = (row.initiation.InstructedAmount ?? {}) as { Amount?: unknown; Currency?: unknown };
  return { amount: String(instructed.Amount ?? ''), currency: String(instructed.Currency ?? '') };
}

/**
 * The PSU's payment consents (domestic payments, VRP, confirmation of funds) with their payments, read
 * for the customer API and the dashboard alike. Both lists page by keyset in SQL, newest first.
 */
@Injectable()
export class CustomerPaymentConsentsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {}

  async list(psuId: string, page: { cursor?: string; limit?: number }): Promise<CustomerPaymentConsentsPage> {
    const limit = Math.min(page.limit ?? PAYMENT_CONSENTS_DEFAULT_LIMIT, PAYMENT_CONSENTS_MAX_LIMIT);
    const key = page.cursor ? decodeListingCursor(page.cursor) : null;
    const rows = await this.consentRows(psuId, (params) => (key ? [olderThan('pc', 'consent_id', key, params)] : []), limit + 1);
    const { rows: consents, next } = keysetPage(rows, limit, (row) => row.consent_id);
    return { consents: await this.views(consents, this.statusClock()), next };
  }

  /** One of the PSU's payment consents' payments, newest first; another PSU's consent is not found. */
  async payments(psuId: string, consentId: string, page: { cursor?: string; limit?: number }): Promise<CustomerPaymentsPage & { consent: CustomerPaymentConsentView }> {
    const limit = Math.min(page.limit ?? CONSENT_PAYMENTS_DEFAULT_LIMIT, CONSENT_PAYMENTS_MAX_LIMIT);
    const consent = await this.one(psuId, consentId);
    const params: unknown[] = [consentId];
    const conditions = ['p.consent_id = $1'];
    if (page.cursor) conditions.push(olderThan('p', 'payment_id', decodeListingCursor(page.cursor), params));
    params.push(limit + 1);
    const rows: PaymentRow[] = await this.dataSource.query(
      `SELECT ${PAYMENT_COLUMNS}, ${listingAtColumn('p')} FROM ${PAYMENT_ROWS}
        WHERE ${conditions.join(' AND ')}
        ORDER BY p.creation_date_time DESC, p.payment_id DESC
        LIMIT $${params.length}`,
      params,
    );
    const { rows: shown, next } = keysetPage(rows, limit, (row) => row.payment_id);
    return { consent, payments: shown.map(toPaymentView), next };
  }

  /** The PSU's own listed payment consent, as the listing shows it; any other is not found. */
  private async one(psuId: string, consentId: string): Promise<CustomerPaymentConsentView> {
    const rows = await this.consentRows(psuId, (params) => [`pc.consent_id = $${params.push(consentId)}`], 1);
    const [view] = await this.views(rows, this.statusClock());
    if (!view) throw new PaymentViewException(PaymentViewExceptionCode.NotFound, 'No such payment consent');
    return view;
  }

  /** The PSU's listed consents matching `where`, newest first, at most `limit`. */
  private consentRows(psuId: string, where: (params: unknown[]) => string[], limit: number): Promise<ConsentRow[]> {
    const params: unknown[] = [psuId, LISTED_PAYMENT_CONSENT_KINDS];
    const conditions = ['pc.psu_id = $1', 'pc.kind = ANY ($2::text[])', ...where(params)];
    params.push(limit);
    return this.dataSource.query(
      `SELECT pc.consent_id, pc.kind, pc.client_id, t.name AS tpp_name, pc.status, pc.status_reason_description, pc.initiation,
              pc.control_parameters, pc.creation_date_time, pc.authorised_at, pc.status_update_date_time, pc.expiration_date_time,
              coalesce(a.nickname, a.description, a.account_type_code) AS debtor_name, b.name AS debtor_bank, trim(a.currency) AS debtor_currency,
              so.standing_order_id, so.status AS standing_order_status, so.next_run_at,
              (EXISTS (SELECT 1 FROM domestic_payment d WHERE d.consent_id = pc.consent_id AND ${sentUnansweredSql('d')})
               OR EXISTS (SELECT 1 FROM standing_order_run r WHERE r.standing_order_id = so.standing_order_id AND ${sentUnansweredSql('r')})) AS awaiting_bank,
              ${listingAtColumn('pc')}
         FROM payment_consent pc
         JOIN tpp t ON t.client_id = pc.client_id
         LEFT JOIN account a ON a.account_id = pc.debtor_account_id
         LEFT JOIN aspsp b ON b.aspsp_id = a.aspsp_id
         LEFT JOIN domestic_standing_order so ON so.consent_id = pc.consent_id
        WHERE ${conditions.join(' AND ')}
        ORDER BY pc.creation_date_time DESC, pc.consent_id DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  /** The consents as the PSU sees them, each with its newest payments (one query for the whole page). */
  private async views(rows: ConsentRow[], clock: ConsentStatusClock): Promise<CustomerPaymentConsentView[]> {
    const { now } = clock;
    const payments: PaymentRow[] =
      rows.length === 0
        ? []
        : await this.dataSource.query(
            `SELECT ${PAYMENT_COLUMNS}, ${listingAtColumn('p')}
               FROM unnest($1::text[]) AS c (consent_id)
               CROSS JOIN LATERAL (
                 SELECT * FROM ${PAYMENT_ROWS} WHERE p.consent_id = c.consent_id
                  ORDER BY p.creation_date_time DESC, p.payment_id DESC LIMIT $2
               ) p
              ORDER BY p.consent_id, p.creation_date_time DESC, p.payment_id DESC`,
            [rows.map((r) => r.consent_id), PAYMENTS_PER_CONSENT + 1],
          );
    return rows.map((row) => {
      const shown = keysetPage(
        payments.filter((p) => p.consent_id === row.consent_id),
        PAYMENTS_PER_CONSENT,
        (p) => p.payment_id,
      );
      // As the rules hold it now: past its end or awaited too long, before the sweep writes it.
      const { status, statusUpdateDateTime } = paymentConsentStatusAsOf(
        { kind: row.kind, status: row.status, creationDateTime: row.creation_date_time, statusUpdateDateTime: row.status_update_date_time, expirationDateTime: row.expiration_date_time },
        clock,
      );
      return {
        consentId: row.consent_id,
        kind: row.kind,
        tpp: { clientId: row.client_id, name: row.tpp_name },
        status,
        statusReasonDescription: row.status_reason_description,
        revocable: canPaymentConsentTransition(row.kind, status, 'CANC') && (row.expiration_date_time === null || row.expiration_date_time > now),
        creationDateTime: row.creation_date_time.toISOString(),
        authorisedDateTime: iso(row.authorised_at),
        statusUpdateDateTime: statusUpdateDateTime.toISOString(),
        expirationDateTime: iso(row.expiration_date_time),
        debtorAccount: row.debtor_name ? { name: row.debtor_name, bank: row.debtor_bank ?? '', currency: row.debtor_currency ?? '' } : null,
        payee: maskedPayee(row.initiation.CreditorAccount),
        amount: singleAmount(row),
        executesOn: typeof row.initiation.RequestedExecutionDateTime === 'string' ? new Date(row.initiation.RequestedExecutionDateTime).toISOString() : null,
        standingOrder:
          row.kind === 'domestic-standing-order'
            ? {
                schedule: describeStandingOrder(row.initiation, formatInstant) ?? [],
                standingOrderId: row.standing_order_id,
                status: row.standing_order_status,
                nextRunAt: iso(row.next_run_at),
                // Running; or every run made, one still pending and none with the bank: its held run (cancelStandingOrder).
                cancellable:
                  row.standing_order_status === 'PDNG' || (row.standing_order_status === 'INCO' && !row.awaiting_bank && shown.rows.some((p) => p.status === 'PDNG')),
              }
            : null,
        cancellablePaymentId:
          row.kind === 'domestic-scheduled-payment' && !row.awaiting_bank ? (shown.rows.find((p) => p.status === 'PDNG')?.payment_id ?? null) : null,
        awaitingBankAnswer: row.awaiting_bank,
        controlParameters: inWords(row.control_parameters),
        payments: shown.rows.map(toPaymentView),
        morePayments: shown.next,
      };
    });
  }
}
