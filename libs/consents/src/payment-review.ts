import { recordAuditEvents } from '@consentry/audit';
import type { AuditEventInput } from '@consentry/audit';
import { AggregatedBank, BankPaymentOrder } from '@consentry/banking';
import { DataSource, EntityManager, writeTogetherStatement } from '@consentry/database';
import { recordPaidPayment, RISK_REJECTED_DESCRIPTION, RISK_REJECTED_REASON } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import { isOrderAsApproved, type OrderToPay } from './approved-order.js';
import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import type { PaymentApprovalSeal } from './payment-approval-seal.js';
import { askBank, bankOutcomeWrites, markSentToBank, type SentOrderTable, sentUnansweredSql } from './payment-execution.js';
import { OPEN_REVIEW_STATUSES, openReviewCondition } from './review-status.js';
import { standingOrderRunText, summariseInitiation } from './payment-initiation.js';
import { vrpConsentReleaseLock } from './vrp-release-lock.js';

export interface ReviewCommand {
  paymentId: string;
  adminId: string;
  reason: string;
  /** REVIEW_FOUR_EYES: a release needs a second, different admin. */
  fourEyes: boolean;
  interactionId?: string;
}

export interface ReviewOutcome {
  /** `release-requested`: the first of two admins released it; the payment stays PDNG. */
  outcome: 'released' | 'release-requested' | 'rejected';
  paymentId: string;
  /** The payment's status after the review (PDNG, ACSP or RJCT). */
  status: string;
  statusReason: string | null;
}

interface HeldRow {
  payment_id: string;
  payment_kind: string;
  consent_id: string;
  client_id: string;
  psu_id: string | null;
  review_status: string;
  release_requested_by: string | null;
  debtor_account_id: string;
  amount: string;
  currency: string;
  assessed_at: Date;
}

/**
 * SQL: the hold was made more than `minutes` (REVIEW_TIMEOUT_MINUTES) before `at` (SQL expressions): past
 * its review deadline, it is rejected by the expiry sweep and released by no one.
 */
function reviewDeadlinePassed(at: string, minutes: string): string {
  return `assessed_at <= ${at} - make_interval(mins => ${minutes})`;
}

/** A held payment's review row, locked, with whether its hold has passed the review deadline. */
interface LockedHeldRow extends HeldRow {
  past_deadline: boolean;
  /** Sent to its bank, whose answer is awaited (sentUnansweredOf). */
  sent: boolean;
}

/** The table of each kind's payment row, and whether it has a status-reason description. */
function paymentTableOf(kind: string): { table: 'vrp_payment' | SentOrderTable; reasonDescription: boolean } {
  if (kind === 'domestic-vrp') return { table: 'vrp_payment', reasonDescription: true };
  if (kind === 'domestic-standing-order') return { table: 'standing_order_run', reasonDescription: false };
  return { table: 'domestic_payment', reasonDescription: true };
}

/**
 * SQL: the held payment of review row `alias` was sent to its bank, whose answer is awaited (its row's
 * mark, markSentToBank). No review decision, deadline or withdrawal may give it a final status then: only
 * the bank's answer, which the worker asks for again. (A VRP's release is its mark: its review is closed.)
 */
function sentUnansweredOf(alias: string): string {
  return `(EXISTS (SELECT 1 FROM domestic_payment d WHERE d.payment_id = ${alias}.payment_id AND ${sentUnansweredSql('d')})
        OR EXISTS (SELECT 1 FROM standing_order_run s WHERE s.payment_id = ${alias}.payment_id AND ${sentUnansweredSql('s')}))`;
}

/**
 * Locks a held payment's review row: concurrent reviews of one payment run one after the other, and the
 * second sees the first's result. `past_deadline`: held longer than `timeoutMinutes` (REVIEW_TIMEOUT_MINUTES,
 * on the database's clock), so the review-expiry sweep rejects it, whoever comes first.
 */
async function lockHeld(manager: EntityManager, paymentId: string, timeoutMinutes: number): Promise<LockedHeldRow> {
  const [row]: LockedHeldRow[] = await manager.query(
    `SELECT payment_id, payment_kind, consent_id, client_id, psu_id, review_status, release_requested_by, debtor_account_id, amount::text AS amount, currency, assessed_at,
            ${reviewDeadlinePassed('now()', '$2')} AS past_deadline, ${sentUnansweredOf('p')} AS sent
       FROM payment_risk_assessment p WHERE payment_id = $1 AND decision = 'hold' FOR UPDATE OF p`,
    [paymentId, timeoutMinutes],
  );
  if (!row) throw new ConsentException(ConsentExceptionCode.NotFound, 'No held payment with this id');
  if (!(OPEN_REVIEW_STATUSES as readonly string[]).includes(row.review_status)) {
    throw new ConsentException(ConsentExceptionCode.InvalidStatus, `The payment was already reviewed (${row.review_status})`);
  }
  if (row.sent) throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The payment was sent to its bank, whose answer is awaited: only that answer decides it');
  return row;
}

function eventBase(row: HeldRow, actor: AuditEventInput['actor'], interactionId?: string): Pick<AuditEventInput, 'actor' | 'clientId' | 'consentId' | 'psuId' | 'interactionId'> {
  return { actor, clientId: row.client_id, consentId: row.consent_id, ...(row.psu_id ? { psuId: row.psu_id } : {}), interactionId };
}

/**
 * Rejects held payments (RJCT FR01) in the caller's transaction, with `type`'s audit event and the status
 * change for each: set-based, one statement for the review rows, one per payment table, one for the events.
 * Every review row is closed; only a payment still PDNG becomes RJCT and gets the events (one the PSU
 * cancelled meanwhile keeps its CANC, and no event says otherwise). Gives the ids of those rejected.
 */
async function rejectHeld(
  manager: EntityManager,
  rows: readonly HeldRow[],
  review: { status: 'rejected' | 'expired'; by: string; reason: string | null; type: 'payment.review.rejected' | 'payment.review.expired'; actor: AuditEventInput['actor']; interactionId?: string },
): Promise<Set<string>> {
  const rejected = new Set<string>();
  if (rows.length === 0) return rejected;
  await manager.query(
    // After a first admin's release request, its reason is kept before the rejecting admin's (as a
    // release keeps both); an expiry adds none. Until 7 December 2026 a reject or expiry erased it.
    `UPDATE payment_risk_assessment SET review_status = $2, reviewed_by = $3, reviewed_at = now(), review_reason = concat_ws(' / ', review_reason, $4::text)
      WHERE payment_id = ANY($1::text[])`,
    [rows.map((row) => row.payment_id), review.status, review.by, review.reason],
  );
  const byTable = new Map<string, { reasonDescription: boolean; paymentIds: string[] }>();
  for (const row of rows) {
    const { table, reasonDescription } = paymentTableOf(row.payment_kind);
    const payments = byTable.get(table) ?? { reasonDescription, paymentIds: [] };
    payments.paymentIds.push(row.payment_id);
    byTable.set(table, payments);
  }
  for (const [table, { reasonDescription, paymentIds }] of byTable) {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
    const [changed]: [Array<{ payment_id: string }>, number] = reasonDescription
      ? await manager.query(
          `UPDATE ${table} SET status = 'RJCT', status_reason = $2, status_reason_description = $3, status_update_date_time = now()
            WHERE payment_id = ANY($1::text[]) AND status = 'PDNG' RETURNING payment_id`,
          [paymentIds, RISK_REJECTED_REASON, RISK_REJECTED_DESCRIPTION],
        )
      : await manager.query(
          `UPDATE ${table} SET status = 'RJCT', status_reason = $2, status_update_date_time = now() WHERE payment_id = ANY($1::text[]) AND status = 'PDNG' RETURNING payment_id`,
          [paymentIds, RISK_REJECTED_REASON],
        );
    for (const { payment_id } of changed) rejected.add(payment_id);
  }
  await recordAuditEvents(
    manager,
    rows.filter((row) => rejected.has(row.payment_id)).flatMap((row) => {
      const base = eventBase(row, review.actor, review.interactionId);
      return [
        { type: review.type, ...base, data: { paymentId: row.payment_id, paymentKind: row.payment_kind, decision: 'reject' } },
        { type: 'payment.status-changed' as const, ...base, data: { paymentId: row.payment_id, kind: row.payment_kind, from: 'PDNG', to: 'RJCT', statusReason: RISK_REJECTED_REASON } },
      ];
    }),
  );
  return rejected;
}

/** What the bank is asked to pay for a held payment, read from its own row, with the copies of its approval's terms that row holds. */
async function bankRequestOf(manager: EntityManager, row: HeldRow): Promise<{ request: BankPaymentOrder; order: OrderToPay }> {
  if (row.payment_kind === 'domestic-vrp') {
    const [vrp]: Array<{
      debtor_account_id: string;
      amount: string;
      currency: string;
      initiation: Record<string, unknown>;
      instruction: Record<string, unknown>;
      consent_status: string;
      consent_ended: boolean;
    }> = await manager.query(
      `SELECT v.debtor_account_id, v.amount::text AS amount, v.currency, v.initiation, v.instruction, c.status AS consent_status,
              -- Its ValidToDateTime (kept as the consent's expiration_date_time), on the database's clock: ended
              -- whether or not the consent-expiry sweep has made it EXPD yet.
              (c.expiration_date_time IS NOT NULL AND c.expiration_date_time <= now()) AS consent_ended
         FROM vrp_payment v JOIN payment_consent c ON c.consent_id = v.consent_id
        WHERE v.payment_id = $1 AND v.status = 'PDNG' FOR UPDATE OF v FOR SHARE OF c`,
      [row.payment_id],
    );
    if (!vrp) throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The payment is no longer pending');
    // The PSU stopped the consent (or it ended) while the VRP waited: it is not paid. The consent's row
    // stays share-locked until the release's decision commits, and again while the bank is asked
    // (ReviewHeldPayment.send), so a revocation (which locks it to update it) is answered after the debit.
    if (vrp.consent_status !== 'AUTH') throw new ConsentException(ConsentExceptionCode.InvalidStatus, `The VRP's consent is ${vrp.consent_status}: reject the payment`);
    if (vrp.consent_ended) throw new ConsentException(ConsentExceptionCode.InvalidStatus, "The VRP's consent ended (its ValidToDateTime passed): reject the payment");
    const summary = summariseInitiation(vrp.instruction);
    return {
      request: { paymentId: row.payment_id, debtorAccountId: vrp.debtor_account_id, amount: vrp.amount, currency: vrp.currency, creditorAccount: summary.creditorAccount, reference: summary.endToEndIdentification, information: summary.remittance },
      order: { consentId: row.consent_id, debtorAccountId: vrp.debtor_account_id, initiation: vrp.initiation, instructedCreditorAccount: vrp.instruction.CreditorAccount },
    };
  }
  if (row.payment_kind === 'domestic-standing-order') {
    const [run]: Array<{ debtor_account_id: string; amount: string; currency: string; initiation: Record<string, unknown>; order_status: string }> = await manager.query(
      `SELECT o.debtor_account_id, r.amount::text AS amount, r.currency, o.initiation, o.status AS order_status FROM standing_order_run r
         JOIN domestic_standing_order o ON o.standing_order_id = r.standing_order_id
        WHERE r.payment_id = $1 AND r.status = 'PDNG' FOR UPDATE OF r, o`,
      [row.payment_id],
    );
    if (!run) throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The payment is no longer pending');
    // The PSU cancelled the order while its run waited ("no payment will be made from it"): it is not paid.
    if (run.order_status === 'CANC') throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The PSU cancelled the standing order: reject the payment');
    const summary = summariseInitiation(run.initiation);
    return {
      request: { paymentId: row.payment_id, debtorAccountId: run.debtor_account_id, amount: run.amount, currency: run.currency, creditorAccount: summary.creditorAccount, ...standingOrderRunText(run.initiation) },
      order: { consentId: row.consent_id, debtorAccountId: run.debtor_account_id, initiation: run.initiation },
    };
  }
  const [payment]: Array<{ debtor_account_id: string; initiation: Record<string, unknown> }> = await manager.query(
    `SELECT debtor_account_id, initiation FROM domestic_payment WHERE payment_id = $1 AND status = 'PDNG' FOR UPDATE`,
    [row.payment_id],
  );
  if (!payment) throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The payment is no longer pending');
  const summary = summariseInitiation(payment.initiation);
  return {
    request: { paymentId: row.payment_id, debtorAccountId: payment.debtor_account_id, amount: summary.amount, currency: summary.currency, creditorAccount: summary.creditorAccount, reference: summary.endToEndIdentification, information: summary.remittance },
    order: { consentId: row.consent_id, debtorAccountId: payment.debtor_account_id, initiation: payment.initiation },
  };
}

const logger = new Logger('PaymentReview');

/** A released payment whose bank has not answered (yet): it stays PDNG, and the worker's re-drive asks again. */
function awaitingBank(paymentId: string): ReviewOutcome {
  return { outcome: 'released', paymentId, status: 'PDNG', statusReason: null };
}

/**
 * An admin's review of a held payment. Reject: RJCT FR01. Release: the debit, exactly as an allowed
 * payment's (the funds check still applies: RJCT AM04 if short). The release is decided under the review
 * row's lock, so two admins acting at once never execute it twice, and committed (review `released`, the
 * order marked sent, markSentToBank, with its audit event) BEFORE the bank is called: if the bank's answer
 * never comes (it may have debited) the release stands, the payment stays PDNG, and the worker sends it
 * again with the same payment id (redriveStrandedPayments) until the bank answers; no cancel, withdrawal,
 * reject or review deadline may turn it into another final status. Under four-eyes the first
 * release only records the request (the payment stays PDNG); a second, different admin executes it. A
 * payment that no longer matches what its PSU approved (isOrderAsApproved) is never released: U008, and
 * the admin rejects it; nor is a VRP whose consent the PSU stopped (or that ended), or a run of a standing
 * order the PSU cancelled, while it waited (invalid status); nor a payment held longer than
 * `reviewTimeoutMinutes` (REVIEW_TIMEOUT_MINUTES): the review-expiry sweep rejects it, and an admin who
 * comes first may only reject it too. A payment no longer pending (the PSU cancelled it) is not reviewed.
 */
export class ReviewHeldPayment {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    private readonly approvals: PaymentApprovalSeal,
    private readonly reviewTimeoutMinutes: number,
  ) {}

  reject(command: ReviewCommand): Promise<ReviewOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const row = await lockHeld(manager, command.paymentId, this.reviewTimeoutMinutes);
      const rejected = await rejectHeld(manager, [row], {
        status: 'rejected',
        by: command.adminId,
        reason: command.reason,
        type: 'payment.review.rejected',
        actor: { type: 'admin', id: command.adminId },
        interactionId: command.interactionId,
      });
      // Rolled back: the review row stays as it was.
      if (!rejected.has(row.payment_id)) throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The payment is no longer pending');
      return { outcome: 'rejected', paymentId: row.payment_id, status: 'RJCT', statusReason: RISK_REJECTED_REASON };
    });
  }

  /**
   * A VRP's release decides and then asks the bank in two transactions on one connection, which holds its
   * consent's release lock (vrpConsentReleaseLock) from before the decision until the bank's answer is
   * recorded: a revocation takes that lock first, so it is answered after the payment, never between the
   * decision and the debit (until 7 December 2026 a revocation that came between them was answered 204 and
   * the VRP was debited after it).
   */
  async release(command: ReviewCommand): Promise<ReviewOutcome> {
    const [held]: Array<{ consent_id: string; payment_kind: string }> = await this.dataSource.query(
      `SELECT consent_id, payment_kind FROM payment_risk_assessment WHERE payment_id = $1`,
      [command.paymentId],
    );
    if (held?.payment_kind !== 'domestic-vrp') return this.decideAndSend(this.dataSource.manager, command);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock_shared(${vrpConsentReleaseLock('$1')})`, [held.consent_id]);
      try {
        return await this.decideAndSend(runner.manager, command);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock_shared(${vrpConsentReleaseLock('$1')})`, [held.consent_id]);
      }
    } finally {
      await runner.release();
    }
  }

  private async decideAndSend(on: EntityManager, command: ReviewCommand): Promise<ReviewOutcome> {
    const decided = await on.transaction(async (manager): Promise<ReviewOutcome | { row: LockedHeldRow; request: BankPaymentOrder }> => {
      const row = await lockHeld(manager, command.paymentId, this.reviewTimeoutMinutes);
      if (row.past_deadline) {
        throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'The hold passed its review deadline (REVIEW_TIMEOUT_MINUTES): it is rejected, not paid; reject it');
      }
      const base = eventBase(row, { type: 'admin', id: command.adminId }, command.interactionId);
      if (command.fourEyes && row.review_status === 'held') {
        await manager.query(`UPDATE payment_risk_assessment SET review_status = 'release-requested', release_requested_by = $2, review_reason = $3 WHERE payment_id = $1`, [
          row.payment_id,
          command.adminId,
          command.reason,
        ]);
        await recordAuditEvents(manager, [{ type: 'payment.review.release-requested', ...base, data: { paymentId: row.payment_id, paymentKind: row.payment_kind } }]);
        return { outcome: 'release-requested', paymentId: row.payment_id, status: 'PDNG', statusReason: null };
      }
      if (command.fourEyes && row.release_requested_by === command.adminId) {
        throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'Four-eyes review: a second, different administrator must confirm the release');
      }
      const { request, order } = await bankRequestOf(manager, row);
      if (!(await isOrderAsApproved(manager, this.approvals, order))) {
        throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The payment no longer matches what the PSU approved: reject it');
      }
      // The release, decided: committed with the order's mark before the bank is called, so a crash or a
      // lost answer during the call leaves it released and awaiting the bank's answer, never held.
      await manager.query(
        `UPDATE payment_risk_assessment SET review_status = 'released', reviewed_by = $2, reviewed_at = now(), review_reason = concat_ws(' / ', review_reason, $3::text) WHERE payment_id = $1`,
        [row.payment_id, command.adminId, command.reason],
      );
      const { table } = paymentTableOf(row.payment_kind);
      if (table !== 'vrp_payment') await markSentToBank(manager, table, row.payment_id);
      await recordAuditEvents(manager, [
        { type: 'payment.review.released', ...base, data: { paymentId: row.payment_id, paymentKind: row.payment_kind, ...(row.release_requested_by ? { firstReviewer: row.release_requested_by } : {}) } },
      ]);
      return { row, request };
    });
    if ('outcome' in decided) return decided;
    try {
      return await this.send(on, decided.row, decided.request, command);
    } catch (error) {
      // Not an outage (askBank answers those with null) but a defect, here or at the bank's connector,
      // after the release committed: the bank may have debited. The release stands, the payment stays
      // PDNG awaiting the bank's answer and the worker asks again (redriveStrandedPayments), so that is
      // the admin's answer, not a 500 that reads as if nothing had been decided.
      logger.error(`Payment ${decided.row.payment_id} released, its bank's answer not recorded (the worker sends it again): ${error instanceof Error ? error.message : String(error)}`);
      return awaitingBank(decided.row.payment_id);
    }
  }

  /**
   * Sends a released payment to its bank under its review row's and its row's locks (the order the
   * cancel and the review sweep take them in), and records the bank's answer once, with its event. One
   * being sent by the worker's re-drive now (its row locked) is left to it. A bank that does not answer
   * leaves it PDNG, released, for the re-drive.
   */
  private send(on: EntityManager, row: LockedHeldRow, request: BankPaymentOrder, command: ReviewCommand): Promise<ReviewOutcome> {
    const unanswered = awaitingBank(row.payment_id);
    return on.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM payment_risk_assessment WHERE payment_id = $1 FOR UPDATE`, [row.payment_id]);
      const { table } = paymentTableOf(row.payment_kind);
      // A VRP's consent is share-locked while its bank is asked, as the release's decision held it: a
      // revocation sent meanwhile (which locks it to update it) is answered after the payment.
      const [pending]: Array<{ payment_id: string }> = await manager.query(
        table === 'vrp_payment'
          ? `SELECT v.payment_id FROM vrp_payment v JOIN payment_consent c ON c.consent_id = v.consent_id WHERE v.payment_id = $1 AND v.status = 'PDNG' FOR UPDATE OF v SKIP LOCKED FOR SHARE OF c`
          : `SELECT payment_id FROM ${table} WHERE payment_id = $1 AND status = 'PDNG' FOR UPDATE SKIP LOCKED`,
        [row.payment_id],
      );
      // Being sent by the worker's re-drive now, or answered since.
      if (!pending) return unanswered;
      const changes = await askBank(this.bank, request);
      // The bank may have debited it (an answer cut short): the release stands, the payment stays PDNG
      // with its outcome unknown, and the worker asks the bank again (redriveStrandedPayments).
      if (!changes) return unanswered;
      const base = eventBase(row, { type: 'admin', id: command.adminId }, command.interactionId);
      const event: AuditEventInput = {
        type: 'payment.status-changed',
        ...base,
        data: { paymentId: row.payment_id, kind: row.payment_kind, from: 'PDNG', to: changes.status, ...(changes.statusReason ? { statusReason: changes.statusReason } : {}) },
      };
      // The hold's neutral description goes with the hold; a bank rejection brings its own (AM04).
      const { sql, values } = writeTogetherStatement(bankOutcomeWrites(table, row.payment_id, changes, event));
      await manager.query(sql, values);
      if (changes.status === 'ACSP') {
        await manager.query(`UPDATE payment_risk_assessment SET paid = true WHERE payment_id = $1`, [row.payment_id]);
        // Released and paid: it joins the account's and the PSU's history, at the instant the PSU made it.
        await recordPaidPayment(manager, { debtorAccountId: row.debtor_account_id, psuId: row.psu_id, amount: row.amount, currency: row.currency, at: row.assessed_at });
      }
      return { outcome: 'released', paymentId: row.payment_id, status: changes.status, statusReason: changes.statusReason };
    });
  }
}

/**
 * Rejects the held payments nobody reviewed within `timeoutMinutes` of `now` (REVIEW_TIMEOUT_MINUTES),
 * oldest first, `batchSize` at a time, each batch in one transaction of a few set-based statements under
 * the review rows' locks (SKIP LOCKED: one an admin is reviewing now is left to the admin). Audited
 * payment.review.expired.
 */
export async function expireHeldPayments(dataSource: DataSource, now: Date, timeoutMinutes: number, batchSize = 100): Promise<number> {
  let expired = 0;
  for (;;) {
    const done = await dataSource.transaction(async (manager) => {
      const rows: HeldRow[] = await manager.query(
        `SELECT payment_id, payment_kind, consent_id, client_id, psu_id, review_status, release_requested_by, debtor_account_id, amount::text AS amount, currency, assessed_at FROM payment_risk_assessment p
          WHERE ${openReviewCondition()} AND ${reviewDeadlinePassed('$1::timestamptz', '$3')}
            -- One sent to its bank, whose answer is awaited, is the bank's to decide (never FR01 after a debit).
            AND NOT ${sentUnansweredOf('p')}
          ORDER BY assessed_at, payment_id LIMIT $2 FOR UPDATE OF p SKIP LOCKED`,
        [now, batchSize, timeoutMinutes],
      );
      await rejectHeld(manager, rows, { status: 'expired', by: 'review-timeout', reason: null, type: 'payment.review.expired', actor: { type: 'system', id: 'review-timeout' } });
      return rows.length;
    });
    expired += done;
    if (done < batchSize) return expired;
  }
}
