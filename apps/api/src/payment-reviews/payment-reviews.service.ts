import { AggregatedBank } from '@consentry/banking';
import type { ApiConfig } from '@consentry/config';
import { openReviewCondition, PaymentApprovalSeal, ReviewHeldPayment, ReviewOutcome } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { maskAccountNumber } from '@consentry/redaction';
import { foldRuleTally } from '@consentry/risk';
import type { FiredRule } from '@consentry/risk';
import { Inject, Injectable } from '@nestjs/common';

import { API_CONFIG } from '../api.tokens.js';
import { decodeListingCursor, keysetPage } from '../payment-views/payment-keyset.js';
import { PAYMENT_REVIEWS_DEFAULT_LIMIT, PAYMENT_REVIEWS_MAX_LIMIT } from './payment-review.dto.js';

/** One of the debtor account's recent scored payments, the payee masked. */
export interface AccountHistoryEntry {
  paymentId: string;
  assessedAt: string;
  amount: string;
  currency: string;
  payee: string;
  decision: string;
}

/** A held payment in the review queue. */
export interface PaymentReview {
  /** The DomesticPaymentId, DomesticVRPId or standing-order run's id. */
  paymentId: string;
  paymentKind: string;
  clientId: string;
  consentId: string;
  amount: string;
  currency: string;
  payee: string;
  heldAt: string;
  score: number;
  rules: FiredRule[];
  reviewStatus: 'held' | 'release-requested';
  /** The debtor account's last payments before this one, newest first. */
  accountHistory: AccountHistoryEntry[];
}

/** How one rule has done: the false-positive rate a bank tunes by. */
export interface RuleStatistics {
  name: string;
  kind: string;
  /** Payments it fired on. */
  fired: number;
  /** Of those, the ones held for review. */
  held: number;
  /** Holds an admin released (the rule was wrong), and holds reviewed at all (released, rejected, expired). */
  released: number;
  reviewed: number;
  /** released / reviewed, three decimals; null before any review. */
  falsePositiveRate: string | null;
}

export interface PaymentReviewsPage {
  reviews: PaymentReview[];
  /** Cursor of the next page; null on the last one. */
  next: string | null;
}

interface ReviewRow {
  payment_id: string;
  payment_kind: string;
  client_id: string;
  consent_id: string;
  amount: string;
  currency: string;
  creditor_key: string;
  assessed_at: Date;
  listing_at: string;
  score: number;
  rules: FiredRule[];
  review_status: 'held' | 'release-requested';
  history: Array<{ payment_id: string; assessed_at: string; amount: string; currency: string; creditor_key: string; decision: string }>;
}

const HISTORY_LENGTH = 5;

/** A creditor key (`scheme:identification`) as an admin sees it: the scheme's last part and the number masked. */
function maskedPayee(key: string): string {
  const at = key.lastIndexOf(':');
  return `${key.slice(0, at).split('.').pop()} ${maskAccountNumber(key.slice(at + 1))}`;
}

/** Each rule's firings and reviews, from its running totals (`risk_rule_tally`; folded first: foldRuleTally in libs/risk). */
export const RULE_STATISTICS_SQL = `
  SELECT rule_name AS name, rule_kind AS kind, fired::int, held::int, released::int, reviewed::int,
         round(released::numeric / nullif(reviewed, 0), 3)::text AS rate
    FROM risk_rule_tally WHERE fired > 0 ORDER BY rule_name, rule_kind`;

/** The review queue of held payments (admin API and console) and the admins' decisions on them. */
@Injectable()
export class PaymentReviewsService {
  private readonly review: ReviewHeldPayment;

  constructor(
    private readonly dataSource: DataSource,
    bank: AggregatedBank,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    approvals: PaymentApprovalSeal,
  ) {
    this.review = new ReviewHeldPayment(dataSource, bank, approvals, config.risk.reviewTimeoutMinutes);
  }

  /** Held payments oldest first, keyset-paged on (assessed_at, payment_id), each with its account's recent history (one lateral, indexed lookup). */
  async list(page: { cursor?: string; limit?: number }): Promise<PaymentReviewsPage> {
    const limit = Math.min(page.limit ?? PAYMENT_REVIEWS_DEFAULT_LIMIT, PAYMENT_REVIEWS_MAX_LIMIT);
    const after = page.cursor ? decodeListingCursor(page.cursor) : null;
    const rows: ReviewRow[] = await this.dataSource.query(
      `SELECT r.payment_id, r.payment_kind, r.client_id, r.consent_id, r.amount::text AS amount, r.currency, r.creditor_key, r.assessed_at,
              (extract(epoch FROM r.assessed_at) * 1000000)::bigint::text AS listing_at, r.score, r.rules, r.review_status,
              coalesce(h.history, '[]'::json) AS history
         FROM payment_risk_assessment r
         LEFT JOIN LATERAL (
           SELECT json_agg(json_build_object('payment_id', p.payment_id, 'assessed_at', p.assessed_at, 'amount', p.amount::text, 'currency', p.currency,
                                             'creditor_key', p.creditor_key, 'decision', p.decision) ORDER BY p.assessed_at DESC) AS history
             FROM (SELECT * FROM payment_risk_assessment p
                    WHERE p.debtor_account_id = r.debtor_account_id AND p.assessed_at < r.assessed_at
                    ORDER BY p.assessed_at DESC LIMIT ${HISTORY_LENGTH}) p
         ) h ON true
        WHERE ${openReviewCondition('r')}
          AND ($1::text IS NULL OR (r.assessed_at, r.payment_id) > (timestamptz 'epoch' + $1::bigint * interval '1 microsecond', $2::text))
        ORDER BY r.assessed_at, r.payment_id
        LIMIT $3`,
      [after?.atMicros ?? null, after?.id ?? null, limit + 1],
    );
    const { rows: shown, next } = keysetPage(rows, limit, (row) => row.payment_id);
    return {
      reviews: shown.map((row) => ({
        paymentId: row.payment_id,
        paymentKind: row.payment_kind,
        clientId: row.client_id,
        consentId: row.consent_id,
        amount: row.amount,
        currency: row.currency.trim(),
        payee: maskedPayee(row.creditor_key),
        heldAt: row.assessed_at.toISOString(),
        score: row.score,
        rules: row.rules,
        reviewStatus: row.review_status,
        accountHistory: row.history.map((entry) => ({
          paymentId: entry.payment_id,
          assessedAt: new Date(entry.assessed_at).toISOString(),
          amount: entry.amount,
          currency: entry.currency.trim(),
          payee: maskedPayee(entry.creditor_key),
          decision: entry.decision,
        })),
      })),
      next,
    };
  }

  /**
   * Per rule, how often it fired and how often its holds were released, over those an admin reviewed (a
   * hold that expired unreviewed says nothing of the rule): the running totals, the latest changes folded in.
   */
  async ruleStatistics(): Promise<RuleStatistics[]> {
    await foldRuleTally(this.dataSource);
    const rows: Array<{ name: string; kind: string; fired: number; held: number; released: number; reviewed: number; rate: string | null }> = await this.dataSource.query(RULE_STATISTICS_SQL);
    return rows.map(({ rate, ...row }) => ({ ...row, falsePositiveRate: rate }));
  }

  release(paymentId: string, admin: { adminId: string; interactionId?: string }, reason: string): Promise<ReviewOutcome> {
    return this.review.release({ paymentId, reason, fourEyes: this.config.risk.reviewFourEyes, ...admin });
  }

  reject(paymentId: string, admin: { adminId: string; interactionId?: string }, reason: string): Promise<ReviewOutcome> {
    return this.review.reject({ paymentId, reason, fourEyes: this.config.risk.reviewFourEyes, ...admin });
  }
}
