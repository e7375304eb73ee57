import { auditEventsWrite, recordAuditEvent, recordAuditEvents } from '@consentry/audit';
import type { AuditEventInput } from '@consentry/audit';
import type { AggregatedBank, BankPaymentOrder, BankPaymentRejection, BankPaymentResult } from '@consentry/banking';
import { ConnectorUnavailableError } from '@consentry/banking';
import { DataSource, DomesticPaymentStatus, EntityManager, standingOrderRunId, WritePart, writeTogetherStatement } from '@consentry/database';
import { PaymentRiskEngine, RISK_REJECTED_REASON, screenPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import { isOrderAsApproved, NOT_AS_APPROVED_DESCRIPTION, NOT_AS_APPROVED_REASON } from './approved-order.js';
import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import type { PaymentApprovalSeal } from './payment-approval-seal.js';
import { standingOrderRunText, summariseInitiation } from './payment-initiation.js';
import { openReviewCondition } from './review-status.js';
import { readStandingOrderSchedule, StandingOrderSchedule, standingOrderRun } from './standing-order-frequency.js';

const REJECTION_TEXT: Record<BankPaymentRejection, string> = {
  AM04: 'Insufficient funds',
  AM03: 'The currency is not the debtor’s or the payee’s account’s',
  AC06: 'An account of the payment is blocked: the debtor’s cannot be debited, or the payee’s credited',
  AM02: 'The amount cannot be booked to these accounts',
};

/**
 * What the bank's answer makes of a PDNG payment order (domestic, scheduled or VRP): ACSP, or RJCT with the
 * ISO reason. Only the contract's two outcomes are read; anything else throws, since an answer that is
 * neither says nothing of whether the bank debited, and must never become a final RJCT.
 */
export function bankOutcomeChanges(result: BankPaymentResult): {
  status: DomesticPaymentStatus;
  statusReason: string | null;
  statusReasonDescription: string | null;
  ledgerTransactionId: string | null;
  statusUpdateDateTime: Date;
} {
  switch (result.outcome) {
    case 'Accepted':
      return { status: 'ACSP', statusReason: null, statusReasonDescription: null, ledgerTransactionId: result.transactionId, statusUpdateDateTime: new Date() };
    case 'Rejected':
      return { status: 'RJCT', statusReason: result.reason, statusReasonDescription: REJECTION_TEXT[result.reason] ?? null, ledgerTransactionId: null, statusUpdateDateTime: new Date() };
    default: {
      const unexpected: never = result;
      throw new Error(`the bank answered a payment outcome outside the contract: ${String((unexpected as { outcome?: unknown }).outcome).slice(0, 40)}`);
    }
  }
}

/** What a payment's outcome write is called in its statement, for its event to follow it (bankOutcomeWrites). */
const OUTCOME_PART = 'payment_outcome';

/**
 * The bank's outcome of a PDNG payment (bankOutcomeChanges) and its `payment.status-changed` event, as two
 * writes of one statement (writeTogether): the row changes only while it is still PDNG, and the event is
 * written only with that change. So an outcome recorded meanwhile by another path (the worker's re-drive
 * of a stranded payment, redriveStrandedPayments) is neither overwritten nor told twice. A standing
 * order's run (`standing_order_run`, by its payment id) has no reason description.
 */
export function bankOutcomeWrites(
  table: 'domestic_payment' | 'vrp_payment' | 'standing_order_run',
  paymentId: string,
  changes: ReturnType<typeof bankOutcomeChanges>,
  event: AuditEventInput,
): [WritePart, WritePart] {
  const outcome: WritePart =
    table === 'standing_order_run'
      ? {
          name: OUTCOME_PART,
          sql: `UPDATE standing_order_run SET status = $2, status_reason = $3, ledger_transaction_id = $4, status_update_date_time = $5
                 WHERE payment_id = $1 AND status = 'PDNG' RETURNING payment_id`,
          values: [paymentId, changes.status, changes.statusReason, changes.ledgerTransactionId, changes.statusUpdateDateTime],
        }
      : {
          name: OUTCOME_PART,
          sql: `UPDATE ${table} SET status = $2, status_reason = $3, status_reason_description = $4, ledger_transaction_id = $5, status_update_date_time = $6
                 WHERE payment_id = $1 AND status = 'PDNG' RETURNING payment_id`,
          values: [paymentId, changes.status, changes.statusReason, changes.statusReasonDescription, changes.ledgerTransactionId, changes.statusUpdateDateTime],
        };
  return [outcome, auditEventsWrite([event], `EXISTS (SELECT 1 FROM ${OUTCOME_PART})`)];
}

/**
 * The tables whose orders are sent to their bank after they were accepted (by the worker, or by an admin's
 * release of a hold): a scheduled payment (domestic_payment) and a standing order's run.
 */
export type SentOrderTable = 'domestic_payment' | 'standing_order_run';

/**
 * Marks an order (locked by the caller) as sent to its bank, in a transaction the caller commits BEFORE it
 * calls the bank: from then on the bank may hold it debited even if its answer never comes (a timeout, a
 * 5xx, a body cut short, a crash during the call), so the order's only final status is the bank's answer.
 * The PSU's cancel, the review's withdrawal and deadline and an admin's reject leave a marked order alone
 * (sentUnansweredSql), and the worker sends it again with the same payment id (the bank answers a repeat
 * with its first outcome) until the bank answers. The mark is kept once answered, as the instant it was
 * first sent.
 */
export async function markSentToBank(manager: EntityManager, table: SentOrderTable, paymentId: string): Promise<void> {
  await manager.query(`UPDATE ${table} SET sent_to_bank_at = COALESCE(sent_to_bank_at, now()) WHERE payment_id = $1`, [paymentId]);
}

/** Why a payment, a run or a review ended when its PSU cancelled it: a fixed text, safe inside a statement. */
const CANCELLED_BY_PSU = 'Cancelled by the PSU';

/** SQL: the order (`alias`, a domestic_payment or standing_order_run row) was sent to its bank, whose answer is still awaited. */
export function sentUnansweredSql(alias: string): string {
  return `(${alias}.status = 'PDNG' AND ${alias}.sent_to_bank_at IS NOT NULL)`;
}

interface DueRow {
  payment_id: string;
  psu_id: string | null;
  consent_id: string;
  client_id: string;
  debtor_account_id: string;
  initiation: Record<string, unknown>;
}

/** What the worker's runs of scheduled payments and standing orders check each order with. */
export interface ScheduledExecutionOptions {
  /** The approvals' seal (SECRETS_KEYS): an order whose approval no longer holds is rejected, not paid. */
  approvals: PaymentApprovalSeal;
  /** Scores each order before its debit (held or rejected ones are not debited). */
  risk?: PaymentRiskEngine;
  /** Banks found down earlier in the same run of the payment job: not asked again in it. */
  unreachable?: UnreachableBanks;
  /** Orders read per page. */
  batchSize?: number;
}

export interface ScheduledExecutionResult {
  /** Orders the bank answered (ACSP or RJCT). */
  executed: number;
  /**
   * Orders left as they were for the next run: their bank could not be reached, or (logged as an error)
   * their execution threw an unexpected error, which rolled it back.
   */
  deferred: number;
}

const logger = new Logger('PaymentExecution');

/**
 * The banks found unreachable during one run of the worker's payment job. Their other orders wait for the
 * next run untried, rather than each waiting out the connector's timeout (5 s): a bank that is down for
 * hours with thousands of orders due would otherwise hold the job, and every other bank's orders behind
 * it, for hours.
 */
export class UnreachableBanks {
  private readonly connectors = new Set<string>();

  /** Notes the bank of an order whose connector could not be reached (or read). */
  note(error: ConnectorUnavailableError): void {
    this.connectors.add(error.connector);
  }

  /** Whether an order at `connector` (its debtor account's bank's, debtorConnectorSql) waits for the next run. */
  has(connector: string | null): boolean {
    return connector !== null && this.connectors.has(connector);
  }

  /**
   * Whether an order at `connector` waits, untried and unmarked, because this process has no connector for
   * its bank (HTTP_BANK_CONNECTORS differing from the API's): a configuration fault, logged as an error
   * once a run, never the order's rejection (until 7 December 2026 such a worker's scheduled payments and
   * standing-order runs at that bank were RJCT AC06 for good). An account of no bank (null) is not waiting:
   * the bank's answer to it is AC06.
   */
  waits(bank: AggregatedBank, connector: string | null): boolean {
    if (connector === null) return false;
    if (this.connectors.has(connector)) return true;
    if (bank.serves(connector)) return false;
    this.connectors.add(connector);
    logger.error(`Orders at the bank of connector ${connector} wait: the connector is not configured in this process (HTTP_BANK_CONNECTORS)`);
    return true;
  }
}

/**
 * The bank's outcome of `request` as the order's new status, or null when the bank did not answer
 * (ConnectorUnavailableError: down, or its answer lost or unreadable, so it may have debited): the order
 * then stays PDNG for whoever sends it again, and the bank is noted in `unreachable` when given. Any other
 * error is thrown.
 */
export async function askBank(bank: AggregatedBank, request: BankPaymentOrder, unreachable?: UnreachableBanks): Promise<ReturnType<typeof bankOutcomeChanges> | null> {
  try {
    return bankOutcomeChanges(await bank.initiatePayment(request));
  } catch (error) {
    if (!(error instanceof ConnectorUnavailableError)) throw error;
    unreachable?.note(error);
    return null;
  }
}

/** SQL: the connector of the bank holding the debtor account `accountIdSql` (as AggregatedBank routes it), as `connector`. */
export function debtorConnectorSql(accountIdSql: string): string {
  return `(SELECT b.connector FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id WHERE a.account_id = ${accountIdSql}) AS connector`;
}

/**
 * One order's execution, isolated from the rest of the run. An unexpected error (a defect, not an outage:
 * that one is ConnectorUnavailableError, 'deferred' already) rolled its transaction back; it is logged with
 * the order's id and deferred like an outage, to the next run (SCHEDULED_PAYMENT_INTERVAL_MS), so one bad
 * order never stops the others, and one that always fails leaves an error line on every run.
 */
export async function isolated(kind: string, orderId: string, execute: () => Promise<'executed' | 'deferred' | 'skipped'>): Promise<'executed' | 'deferred' | 'skipped'> {
  try {
    return await execute();
  } catch (error) {
    // The error's name and message only: the order's data stays out of the log.
    logger.error(`${kind} ${orderId} failed, left for the next run: ${error instanceof Error ? `${error.name}: ${error.message}` : 'a non-error was thrown'}`);
    return 'deferred';
  }
}

/**
 * Runs the scheduled payments due at `now` (RequestedExecutionDateTime <= now), oldest first, `batchSize`
 * at a time by keyset. Each order is locked (FOR UPDATE SKIP LOCKED, so two workers never take the same
 * one, and a PSU's cancel waits for it), checked and scored, and marked sent (markSentToBank) in one
 * committed transaction; then, under its lock again, the bank debits it (idempotent on the payment id) and
 * it becomes ACSP, or RJCT with the ISO reason, with its payment.status-changed event, in one statement
 * that changes only a PDNG row. An order that no longer matches what its PSU approved (isOrderAsApproved)
 * is RJCT AG01 and never debited. An order whose bank does not answer, or whose call throws, stays PDNG and
 * marked: no cancel turns it CANC, and each later run sends it again as it was (not scored again, never
 * rejected by a check of ours) until the bank answers. Held orders are the review's (a release the bank
 * did not answer, the re-drive's). `now` is the caller's clock, so tests run a date without waiting for it.
 */
/**
 * The instant a run scores each of its payments at: the run's `now` (the worker's clock, injectable)
 * moved on by the real time since the run began. Velocity windows are read from running totals that must
 * grow in time order within a stripe (libs/risk's running-totals.ts): a payment scored minutes into a run
 * at the run's start instant carried an earlier time than one the API scored meanwhile on the same stripe,
 * and a later window undercounted by it (until 7 December 2026).
 */
function runClock(now: Date): () => Date {
  const started = performance.now();
  return () => new Date(now.getTime() + Math.floor(performance.now() - started));
}

export async function executeDueScheduledPayments(dataSource: DataSource, bank: AggregatedBank, now: Date, options: ScheduledExecutionOptions): Promise<ScheduledExecutionResult> {
  const clock = runClock(now);
  const batchSize = options.batchSize ?? 100;
  const result: ScheduledExecutionResult = { executed: 0, deferred: 0 };
  const unreachable = options.unreachable ?? new UnreachableBanks();
  // The keyset's instant as PostgreSQL's text (microseconds): a JS Date would cut it to milliseconds, and a
  // full page of deferred orders finer than that would be read again and again.
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const rows: Array<{ payment_id: string; at: string; connector: string | null }> = await dataSource.query(
      `SELECT payment_id, requested_execution_date_time::text AS at, ${debtorConnectorSql('d.debtor_account_id')} FROM domestic_payment d
        WHERE status = 'PDNG' AND requested_execution_date_time IS NOT NULL AND requested_execution_date_time <= $1
          AND ($2::timestamptz IS NULL OR (requested_execution_date_time, payment_id) > ($2::timestamptz, $3))
          -- Held for review: an admin's release runs it, or the review timeout rejects it.
          AND NOT EXISTS (SELECT 1 FROM payment_risk_assessment r WHERE r.payment_id = d.payment_id AND r.decision = 'hold')
        ORDER BY requested_execution_date_time, payment_id LIMIT $4`,
      [now, after?.at ?? null, after?.id ?? null, batchSize],
    );
    for (const row of rows) {
      if (unreachable.waits(bank, row.connector)) {
        result.deferred += 1;
        continue;
      }
      const outcome = await isolated('domestic-scheduled-payment', row.payment_id, () => executeOne(dataSource, bank, row.payment_id, clock(), options, unreachable));
      if (outcome === 'executed') result.executed += 1;
      if (outcome === 'deferred') result.deferred += 1;
    }
    if (rows.length < batchSize) return result;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, id: last.payment_id };
  }
}

async function executeOne(
  dataSource: DataSource,
  bank: AggregatedBank,
  paymentId: string,
  now: Date,
  options: ScheduledExecutionOptions,
  unreachable: UnreachableBanks,
): Promise<'executed' | 'deferred' | 'skipped'> {
  const { approvals, risk } = options;
  // First the decision to send, committed with the order's mark (markSentToBank) before the bank is called.
  const decided = await dataSource.transaction(async (manager): Promise<'executed' | 'skipped' | 'send' | 'send-again'> => {
    const [order]: Array<DueRow & { sent: boolean }> = await manager.query(
      `SELECT d.payment_id, d.consent_id, d.client_id, d.debtor_account_id, d.initiation, c.psu_id, d.sent_to_bank_at IS NOT NULL AS sent FROM domestic_payment d
         JOIN payment_consent c ON c.consent_id = d.consent_id
        WHERE d.payment_id = $1 AND d.status = 'PDNG' FOR UPDATE OF d SKIP LOCKED`,
      [paymentId],
    );
    // Taken by another worker, cancelled, or run since the page was read.
    if (!order) return 'skipped';
    // Sent on an earlier run and its answer lost: the bank may hold it debited, so it is sent again as it
    // was, neither scored again nor rejected by a check of ours.
    if (order.sent) return 'send-again';
    if (!(await isAsApproved(manager, approvals, order))) {
      await recordOutcome(manager, paymentId, order, notAsApproved());
      return 'executed';
    }
    if (risk) {
      const summary = summariseInitiation(order.initiation);
      // Scored when it runs, inline, in the run's transaction: held (PDNG, left for review) or rejected (FR01) are not debited.
      const { changes } = await screenPayment(manager, risk, 'domestic_payment', {
        paymentId,
        paymentKind: 'domestic-scheduled-payment',
        consentId: order.consent_id,
        clientId: order.client_id,
        psuId: order.psu_id,
        debtorAccountId: order.debtor_account_id,
        creditor: summary.creditorAccount,
        amount: summary.amount,
        currency: summary.currency,
        at: now,
      });
      if (changes) return 'executed';
    }
    await markSentToBank(manager, 'domestic_payment', paymentId);
    return 'send';
  });
  if (decided === 'executed' || decided === 'skipped') return decided;
  return sendScheduledPayment(dataSource, bank, paymentId, { approvals, again: decided === 'send-again', unreachable });
}

/** How long a send waits for its payment's row before leaving it to whoever holds it (lockedForSend). */
const SEND_LOCK_WAIT = '2s';

/**
 * Locks a marked payment's row for its send (`select`, a SELECT ... FOR UPDATE), waiting up to
 * SEND_LOCK_WAIT: the row's holder is another sender (its answer is then recorded and the row no longer
 * selected) or, for a moment, a PSU's cancel that lost to the mark (it re-read the row and holds it until
 * its transaction ends). With SKIP LOCKED such a cancel made the worker skip the send it had just marked,
 * and the payment waited for the next run (until 7 December 2026). Null when the wait runs out: the row is
 * left to its holder, or to the next run.
 */
async function lockedForSend<T>(manager: EntityManager, select: string, values: unknown[]): Promise<T | null> {
  await manager.query('SAVEPOINT send_lock');
  await manager.query(`SET LOCAL lock_timeout = '${SEND_LOCK_WAIT}'`);
  let row: T | undefined;
  try {
    [row] = (await manager.query(select, values)) as T[];
  } catch (error) {
    if ((error as { driverError?: { code?: string } }).driverError?.code !== '55P03') throw error;
    // Back to before the wait, its lock_timeout undone with it.
    await manager.query('ROLLBACK TO SAVEPOINT send_lock');
    return null;
  }
  // The rest of the send (the outcome's write) waits as long as it must.
  await manager.query('SET LOCAL lock_timeout TO DEFAULT');
  return row ?? null;
}

/**
 * Sends a scheduled payment marked sent (markSentToBank) to its bank under its row lock (lockedForSend: one
 * being sent elsewhere is left to that sender), and records the answer once with its event. Sent again
 * (`again`), an order that no longer matches its approval is not sent and stays PDNG, logged for an
 * operator: the bank may hold it debited, so it is never rejected here. A bank that does not answer leaves
 * it PDNG, marked, for the next run.
 */
async function sendScheduledPayment(
  dataSource: DataSource,
  bank: AggregatedBank,
  paymentId: string,
  options: { approvals: PaymentApprovalSeal; again: boolean; unreachable: UnreachableBanks },
): Promise<'executed' | 'deferred' | 'skipped'> {
  return dataSource.transaction(async (manager) => {
    const order = await lockedForSend<DueRow>(
      manager,
      `SELECT d.payment_id, d.consent_id, d.client_id, d.debtor_account_id, d.initiation, c.psu_id FROM domestic_payment d
         JOIN payment_consent c ON c.consent_id = d.consent_id
        WHERE d.payment_id = $1 AND ${sentUnansweredSql('d')} FOR UPDATE OF d`,
      [paymentId],
    );
    // Being sent by another worker now, or answered since.
    if (!order) return 'skipped';
    if (options.again && !(await isAsApproved(manager, options.approvals, order))) {
      logger.error(`domestic-scheduled-payment ${paymentId} left PDNG, not sent again: it no longer matches what its PSU approved; reconcile it by hand`);
      return 'deferred';
    }
    const summary = summariseInitiation(order.initiation);
    const changes = await askBank(
      bank,
      {
        paymentId,
        debtorAccountId: order.debtor_account_id,
        amount: summary.amount,
        currency: summary.currency,
        creditorAccount: summary.creditorAccount,
        reference: summary.endToEndIdentification,
        information: summary.remittance,
      },
      options.unreachable,
    );
    if (!changes) return 'deferred';
    const { sql, values } = writeTogetherStatement(bankOutcomeWrites('domestic_payment', paymentId, changes, scheduledOutcomeEvent(paymentId, order, changes)));
    await manager.query(sql, values);
    return 'executed';
  });
}

/** A scheduled payment's payment.status-changed event, by the worker's execution. */
function scheduledOutcomeEvent(paymentId: string, order: DueRow, changes: ReturnType<typeof bankOutcomeChanges>): AuditEventInput {
  return {
    type: 'payment.status-changed',
    actor: { type: 'system', id: 'scheduled-payment-execution' },
    clientId: order.client_id,
    // The PSU's alerts ("A scheduled payment was not made") follow the event's PSU.
    ...(order.psu_id ? { psuId: order.psu_id } : {}),
    consentId: order.consent_id,
    data: { paymentId, kind: 'domestic-scheduled-payment', from: 'PDNG', to: changes.status, ...(changes.statusReason ? { statusReason: changes.statusReason } : {}) },
  };
}

/** Whether a scheduled payment or standing order, read from its row, is still what its PSU approved (isOrderAsApproved). */
function isAsApproved(
  manager: EntityManager,
  approvals: PaymentApprovalSeal,
  order: { consent_id: string; debtor_account_id: string; initiation: Record<string, unknown> },
): Promise<boolean> {
  return isOrderAsApproved(manager, approvals, { consentId: order.consent_id, debtorAccountId: order.debtor_account_id, initiation: order.initiation });
}

/** An order that no longer matches its approval: RJCT AG01, nothing debited. */
function notAsApproved(): ReturnType<typeof bankOutcomeChanges> {
  return { status: 'RJCT', statusReason: NOT_AS_APPROVED_REASON, statusReasonDescription: NOT_AS_APPROVED_DESCRIPTION, ledgerTransactionId: null, statusUpdateDateTime: new Date() };
}

/** A scheduled payment never sent, now RJCT (AG01), with its payment.status-changed event. */
async function recordOutcome(manager: EntityManager, paymentId: string, order: DueRow, changes: ReturnType<typeof bankOutcomeChanges>): Promise<void> {
  await manager.query(
    `UPDATE domestic_payment SET status = $2, status_reason = $3, status_reason_description = $4, ledger_transaction_id = $5, status_update_date_time = $6
      WHERE payment_id = $1`,
    [paymentId, changes.status, changes.statusReason, changes.statusReasonDescription, changes.ledgerTransactionId, changes.statusUpdateDateTime],
  );
  await recordAuditEvent(manager, scheduledOutcomeEvent(paymentId, order, changes));
}

/**
 * The PSU cancels one of their scheduled payments before it runs: PDNG -> CANC, audited. A payment
 * already run (or being run: the cancel waits for the execution's lock) cannot be: 409; nor can one sent
 * to its bank whose answer is awaited (markSentToBank: the bank may hold it debited, and the worker sends
 * it again until it answers). One held for review leaves the review queue (`withdrawn`).
 */
export async function cancelScheduledPayment(dataSource: DataSource, command: { paymentId: string; psuId: string; interactionId?: string }): Promise<void> {
  await dataSource.transaction(async (manager) => {
    // A review of the payment, if it is held, is locked first, in the order an admin's review and the
    // review-expiry sweep lock them (review row, then payment): a cancel and a review at once never deadlock.
    const [review]: Array<{ payment_id: string }> = await manager.query(`SELECT payment_id FROM payment_risk_assessment WHERE payment_id = $1 FOR UPDATE`, [
      command.paymentId,
    ]);
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
    const [rows]: [Array<{ consent_id: string; client_id: string }>, number] = await manager.query(
      `UPDATE domestic_payment d SET status = 'CANC', status_update_date_time = now(), status_reason = NULL, status_reason_description = '${CANCELLED_BY_PSU}'
         FROM payment_consent c
        WHERE d.payment_id = $1 AND c.consent_id = d.consent_id AND c.psu_id = $2 AND d.requested_execution_date_time IS NOT NULL AND d.status = 'PDNG'
          AND d.sent_to_bank_at IS NULL
        RETURNING d.consent_id, d.client_id`,
      [command.paymentId, command.psuId],
    );
    const [cancelled] = rows;
    if (!cancelled) {
      const [exists]: Array<{ status: string; sent: boolean }> = await manager.query(
        `SELECT d.status, ${sentUnansweredSql('d')} AS sent FROM domestic_payment d JOIN payment_consent c ON c.consent_id = d.consent_id
          WHERE d.payment_id = $1 AND c.psu_id = $2 AND d.requested_execution_date_time IS NOT NULL`,
        [command.paymentId, command.psuId],
      );
      if (!exists) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such scheduled payment');
      if (exists.sent) throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'the scheduled payment was sent to the bank, whose answer is awaited: it can no longer be cancelled');
      throw new ConsentException(ConsentExceptionCode.InvalidStatus, `the scheduled payment is ${exists.status}: only a pending one can be cancelled`);
    }
    // The worker may have held it (written its review) while this cancel waited for the payment's row:
    // that review is taken without waiting, since an admin reviewing it now holds it and waits for the
    // payment (the other order); the PSU is told to try again (409) rather than the two deadlocking.
    if (!review) {
      try {
        await manager.query(`SELECT 1 FROM payment_risk_assessment WHERE payment_id = $1 FOR UPDATE NOWAIT`, [command.paymentId]);
      } catch (error) {
        if ((error as { driverError?: { code?: string } }).driverError?.code === '55P03') {
          throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'the scheduled payment is being reviewed: try again in a moment');
        }
        throw error;
      }
    }
    // Held for review, it leaves the review queue: there is nothing left to release or reject.
    await manager.query(
      `UPDATE payment_risk_assessment SET review_status = 'withdrawn', reviewed_by = $2, reviewed_at = now(), review_reason = '${CANCELLED_BY_PSU}'
        WHERE payment_id = $1 AND ${openReviewCondition()}`,
      [command.paymentId, `psu:${command.psuId}`],
    );
    await recordAuditEvent(manager, {
      type: 'payment.status-changed',
      actor: { type: 'psu', id: command.psuId },
      clientId: cancelled.client_id,
      psuId: command.psuId,
      consentId: cancelled.consent_id,
      interactionId: command.interactionId,
      data: { paymentId: command.paymentId, kind: 'domestic-scheduled-payment', from: 'PDNG', to: 'CANC' },
    });
  });
}

/**
 * The PSU cancels their standing order (PSD2 Art. 80(4): the payer may revoke a standing order up to the
 * day before its next run). PDNG -> CANC in one statement, which also takes it off the due-run index so no
 * run follows, with its payment.status-changed event in the same transaction. The row lock waits for a
 * run being paid. Another PSU's order, or one that does not exist, is "not found"; one already ended is an
 * invalid status (409). A run already sent to its bank whose answer is awaited (markSentToBank) is not
 * cancelled with the order: the bank may have paid it, so the re-drive sends it again until the bank
 * answers and records that answer; no run after it is made. (Until 6 December 2026, late that night, such a
 * run made the cancel a 409, and the runs after it went on being paid.) A run held for review and never
 * sent is cancelled with the order (CANC, its review `withdrawn`, its own event), as a held scheduled
 * payment's cancel does: until 7 December 2026 it stayed in the review queue, its release was refused and
 * the review deadline rejected it FR01. A review an admin holds now makes the cancel a 409 (try again),
 * rather than the two waiting on each other.
 */
export async function cancelStandingOrder(
  dataSource: DataSource,
  command: { standingOrderId: string; psuId: string; interactionId?: string },
): Promise<{ status: 'CANC' | 'INCO'; runWithBank: boolean }> {
  return dataSource.transaction(async (manager) => {
    const [order]: Array<{ status: string; consent_id: string; client_id: string }> = await manager.query(
      `SELECT status, consent_id, client_id FROM domestic_standing_order WHERE standing_order_id = $1 AND psu_id = $2 FOR UPDATE`,
      [command.standingOrderId, command.psuId],
    );
    if (!order) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such standing order');
    // A running order (PDNG) is cancelled; one whose every run was made (INCO) has only its held runs left
    // to cancel, its last one held for review included (until 7 December 2026 that run could not be).
    const running = order.status === 'PDNG';
    const refused = () => new ConsentException(ConsentExceptionCode.InvalidStatus, `the standing order is ${order.status}, it cannot be cancelled`);
    if (!running && order.status !== 'INCO') throw refused();
    // A run already sent to its bank and unanswered stays the bank's (PSD2 Art. 80: received, it cannot be
    // revoked): the re-drive records its answer (redriveStrandedPayments). The runs after it are cancelled.
    if (running) {
      await manager.query(
        `UPDATE domestic_standing_order SET status = 'CANC', next_run_at = NULL, status_update_date_time = now() WHERE standing_order_id = $1`,
        [command.standingOrderId],
      );
    }
    const base = { actor: { type: 'psu' as const, id: command.psuId }, clientId: order.client_id, psuId: command.psuId, consentId: order.consent_id, interactionId: command.interactionId };
    const heldRuns = await cancelHeldRuns(manager, command.standingOrderId, command.psuId);
    if (!running && heldRuns.length === 0) throw refused();
    await recordAuditEvents(manager, [
      ...(running ? [{ type: 'payment.status-changed' as const, ...base, data: { paymentId: command.standingOrderId, kind: 'domestic-standing-order', from: 'PDNG', to: 'CANC' } }] : []),
      ...heldRuns.map((run) => ({
        type: 'payment.status-changed' as const,
        ...base,
        data: { paymentId: run.payment_id, kind: 'domestic-standing-order', run: run.run_index, from: 'PDNG', to: 'CANC' },
      })),
    ]);
    // Whether a run stays with the bank, so the PSU is not told that no payment will be made.
    const [{ with_bank }]: Array<{ with_bank: boolean }> = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM standing_order_run s WHERE s.standing_order_id = $1 AND ${sentUnansweredSql('s')}) AS with_bank`,
      [command.standingOrderId],
    );
    // The order's status now: CANC, or INCO still for an order whose every run was made (its held runs cancelled).
    return { status: running ? 'CANC' : 'INCO', runWithBank: with_bank };
  });
}

/**
 * The runs of a standing order being cancelled that are held for review and were never sent: CANC, their
 * reviews withdrawn. The review rows are taken without waiting (an admin reviewing one holds it, then
 * waits for the run: the other order), so the PSU is told to try again (409) rather than the two deadlocking.
 */
async function cancelHeldRuns(manager: EntityManager, standingOrderId: string, psuId: string): Promise<Array<{ payment_id: string; run_index: number }>> {
  let held: Array<{ payment_id: string }>;
  try {
    held = await manager.query(
      `SELECT r.payment_id FROM payment_risk_assessment r JOIN standing_order_run s ON s.payment_id = r.payment_id
        WHERE s.standing_order_id = $1 AND s.status = 'PDNG' AND s.sent_to_bank_at IS NULL AND ${openReviewCondition('r')}
        FOR UPDATE OF r NOWAIT`,
      [standingOrderId],
    );
  } catch (error) {
    if ((error as { driverError?: { code?: string } }).driverError?.code === '55P03') {
      throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'a run of the standing order is being reviewed: try again in a moment');
    }
    throw error;
  }
  if (held.length === 0) return [];
  const ids = held.map((row) => row.payment_id);
  const [runs]: [Array<{ payment_id: string; run_index: number }>, number] = await manager.query(
    `UPDATE standing_order_run SET status = 'CANC', status_reason = NULL, status_update_date_time = now()
      WHERE payment_id = ANY($1::text[]) AND status = 'PDNG' AND sent_to_bank_at IS NULL
      RETURNING payment_id, run_index`,
    [ids],
  );
  await manager.query(
    `UPDATE payment_risk_assessment SET review_status = 'withdrawn', reviewed_by = $2, reviewed_at = now(), review_reason = '${CANCELLED_BY_PSU}'
      WHERE payment_id = ANY($1::text[]) AND ${openReviewCondition()}`,
    [runs.map((run) => run.payment_id), `psu:${psuId}`],
  );
  return runs;
}

interface DueOrderRow {
  standing_order_id: string;
  consent_id: string;
  client_id: string;
  psu_id: string | null;
  debtor_account_id: string;
  initiation: Record<string, unknown>;
  next_run_index: number;
  next_run_at: Date;
}

/**
 * Pays the standing-order runs due at `now`, oldest first, by keyset on (next_run_at, id). Each order is
 * locked (FOR UPDATE SKIP LOCKED) for one run: the run's row is written first (its primary key, order and
 * run number, makes a run paid at most once) and, checked and scored, marked sent (markSentToBank) and
 * committed; then the bank debits it (idempotent on the run's payment id) under the order's and the run's
 * locks, the run becomes ACSP or RJCT (AM04), audited once, and the order moves on to its next run, or to
 * INCO after its last; an order behind by several periods catches up one run per pass. A bank that does not
 * answer, or a call that throws (logged), leaves the run PDNG and marked, and the order on it: the next
 * pass sends the same run again, not scored again, never rejected by a check of ours (the re-drive does,
 * once the PSU cancelled the order). The other orders still run. A run of an order that no longer matches what its PSU
 * approved (isOrderAsApproved) before it was sent is RJCT AG01 and never debited.
 */
export async function executeDueStandingOrderRuns(dataSource: DataSource, bank: AggregatedBank, now: Date, options: ScheduledExecutionOptions): Promise<ScheduledExecutionResult> {
  const clock = runClock(now);
  const batchSize = options.batchSize ?? 100;
  const result: ScheduledExecutionResult = { executed: 0, deferred: 0 };
  const unreachable = options.unreachable ?? new UnreachableBanks();
  for (;;) {
    // As PostgreSQL's text, as for the scheduled payments above.
    let after: { at: string; id: string } | null = null;
    let progressed = false;
    for (;;) {
      const rows: Array<{ standing_order_id: string; at: string; connector: string | null }> = await dataSource.query(
        `SELECT standing_order_id, next_run_at::text AS at, ${debtorConnectorSql('debtor_account_id')} FROM domestic_standing_order
          WHERE status = 'PDNG' AND next_run_at <= $1 AND ($2::timestamptz IS NULL OR (next_run_at, standing_order_id) > ($2::timestamptz, $3))
          ORDER BY next_run_at, standing_order_id LIMIT $4`,
        [now, after?.at ?? null, after?.id ?? null, batchSize],
      );
      for (const row of rows) {
        if (unreachable.waits(bank, row.connector)) {
          result.deferred += 1;
          continue;
        }
        const outcome = await isolated('domestic-standing-order', row.standing_order_id, () => runOnce(dataSource, bank, row.standing_order_id, clock(), options, unreachable));
        if (outcome === 'executed') {
          result.executed += 1;
          progressed = true;
        }
        if (outcome === 'deferred') result.deferred += 1;
      }
      if (rows.length < batchSize) break;
      const last = rows[rows.length - 1]!;
      after = { at: last.at, id: last.standing_order_id };
    }
    // Orders behind by more than one run: another pass takes their next one.
    if (!progressed) return result;
  }
}

async function runOnce(
  dataSource: DataSource,
  bank: AggregatedBank,
  orderId: string,
  now: Date,
  options: ScheduledExecutionOptions,
  unreachable: UnreachableBanks,
): Promise<'executed' | 'deferred' | 'skipped'> {
  const { approvals, risk } = options;
  // First the run's row and the decision to send it, committed with its mark (markSentToBank) before the bank is called.
  const decided = await dataSource.transaction(async (manager): Promise<'executed' | 'skipped' | { runIndex: number; again: boolean }> => {
    const [order]: DueOrderRow[] = await manager.query(
      `SELECT standing_order_id, consent_id, client_id, psu_id, debtor_account_id, initiation, next_run_index, next_run_at FROM domestic_standing_order
        WHERE standing_order_id = $1 AND status = 'PDNG' AND next_run_at <= $2 FOR UPDATE SKIP LOCKED`,
      [orderId, now],
    );
    if (!order) return 'skipped';
    const read = readStandingOrderSchedule(order.initiation);
    if ('problem' in read) throw new Error(`standing order ${orderId} holds an Initiation it was accepted with but cannot run: ${read.problem.message}`);
    const run = standingOrderRun(read.schedule, order.next_run_index);
    if (!run) {
      await advanceStandingOrder(manager, read.schedule, order);
      return 'skipped';
    }
    const currency = read.schedule.first.currency;
    const paymentId = standingOrderRunId(orderId, order.next_run_index);
    await manager.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
       VALUES ($1, $2, $3, $4, $5, $6, 'PDNG', now()) ON CONFLICT DO NOTHING`,
      [orderId, order.next_run_index, paymentId, run.dueAt, run.amount, currency],
    );
    const [written]: Array<{ status: string; sent: boolean }> = await manager.query(
      `SELECT status, sent_to_bank_at IS NOT NULL AS sent FROM standing_order_run WHERE standing_order_id = $1 AND run_index = $2`,
      [orderId, order.next_run_index],
    );
    // Answered already (the order's cursor was left behind): the order moves on.
    if (written!.status !== 'PDNG') {
      await advanceStandingOrder(manager, read.schedule, order);
      return 'skipped';
    }
    // Sent on an earlier run and its answer lost: the bank may hold it debited, so it is sent again as it
    // was, neither scored again nor rejected by a check of ours; the order waits for its answer.
    if (written!.sent) return { runIndex: order.next_run_index, again: true };
    if (!(await isAsApproved(manager, approvals, order))) {
      await recordRunOutcome(manager, order, run.amount, currency, notAsApproved());
      await advanceStandingOrder(manager, read.schedule, order);
      return 'executed';
    }
    const summary = summariseInitiation(order.initiation);
    const decision = risk ? await screenStandingOrderRun(manager, risk, order, paymentId, run.amount, currency, summary.creditorAccount, now) : 'allow';
    if (decision !== 'allow') {
      // Rejected: the run is RJCT FR01. Held: the run stays PDNG for review. Either way the order moves on.
      await advanceStandingOrder(manager, read.schedule, order);
      return 'executed';
    }
    await markSentToBank(manager, 'standing_order_run', paymentId);
    return { runIndex: order.next_run_index, again: false };
  });
  if (decided === 'executed' || decided === 'skipped') return decided;
  return sendStandingOrderRun(dataSource, bank, orderId, decided.runIndex, { approvals, again: decided.again, unreachable });
}

/**
 * Sends an order's current run, marked sent (markSentToBank), to its bank under the order's and the run's
 * row locks (lockedForSend: a run being sent elsewhere is left to that sender; a PSU's cancel waits, then
 * finds it answered or still awaited; a cancel committed first leaves the run to the re-drive), then
 * records the answer once with its event and moves the order on.
 * Sent again (`again`), a run of an order that no longer matches its approval is not sent and stays PDNG,
 * logged for an operator, and the order waits: the bank may hold it debited, so it is never rejected here.
 * A bank that does not answer leaves the run PDNG, marked, and the order on it, for the next run.
 */
async function sendStandingOrderRun(
  dataSource: DataSource,
  bank: AggregatedBank,
  orderId: string,
  runIndex: number,
  options: { approvals: PaymentApprovalSeal; again: boolean; unreachable: UnreachableBanks },
): Promise<'executed' | 'deferred' | 'skipped'> {
  return dataSource.transaction(async (manager) => {
    const order = await lockedForSend<DueOrderRow>(
      manager,
      `SELECT o.standing_order_id, o.consent_id, o.client_id, o.psu_id, o.debtor_account_id, o.initiation, o.next_run_index, o.next_run_at
         FROM domestic_standing_order o JOIN standing_order_run r ON r.standing_order_id = o.standing_order_id AND r.run_index = o.next_run_index
        WHERE o.standing_order_id = $1 AND o.next_run_index = $2 AND o.status = 'PDNG' AND ${sentUnansweredSql('r')} FOR UPDATE OF o, r`,
      [orderId, runIndex],
    );
    // Being sent by another worker now, or answered since.
    if (!order) return 'skipped';
    const read = readStandingOrderSchedule(order.initiation);
    if ('problem' in read) throw new Error(`standing order ${orderId} holds an Initiation it was accepted with but cannot run: ${read.problem.message}`);
    const run = standingOrderRun(read.schedule, runIndex);
    if (!run) throw new Error(`standing order ${orderId} has no run ${runIndex} to send`);
    const currency = read.schedule.first.currency;
    if (options.again && !(await isAsApproved(manager, options.approvals, order))) {
      logger.error(`domestic-standing-order ${orderId} run ${runIndex} left PDNG, not sent again: it no longer matches what its PSU approved; reconcile it by hand`);
      return 'deferred';
    }
    const summary = summariseInitiation(order.initiation);
    const paymentId = standingOrderRunId(orderId, runIndex);
    const changes = await askBank(
      bank,
      {
        paymentId,
        debtorAccountId: order.debtor_account_id,
        amount: run.amount,
        currency,
        creditorAccount: summary.creditorAccount,
        ...standingOrderRunText(order.initiation),
      },
      options.unreachable,
    );
    if (!changes) return 'deferred';
    const { sql, values } = writeTogetherStatement(bankOutcomeWrites('standing_order_run', paymentId, changes, runOutcomeEvent(order, run.amount, currency, changes)));
    await manager.query(sql, values);
    await advanceStandingOrder(manager, read.schedule, order);
    return 'executed';
  });
}

/** A standing-order run's new status, with its payment.status-changed event by `actor` (the execution, or the risk engine that refused it). */
async function recordRunOutcome(
  manager: EntityManager,
  order: DueOrderRow,
  amount: string,
  currency: string,
  changes: ReturnType<typeof bankOutcomeChanges>,
  actor: 'standing-order-execution' | 'risk-engine' = 'standing-order-execution',
): Promise<void> {
  await manager.query(
    `UPDATE standing_order_run SET status = $3, status_reason = $4, ledger_transaction_id = $5, status_update_date_time = $6 WHERE standing_order_id = $1 AND run_index = $2`,
    [order.standing_order_id, order.next_run_index, changes.status, changes.statusReason, changes.ledgerTransactionId, changes.statusUpdateDateTime],
  );
  await recordAuditEvent(manager, runOutcomeEvent(order, amount, currency, changes, actor));
}

/** A standing order's current run's payment.status-changed event. */
function runOutcomeEvent(
  order: DueOrderRow,
  amount: string,
  currency: string,
  changes: ReturnType<typeof bankOutcomeChanges>,
  actor: 'standing-order-execution' | 'risk-engine' = 'standing-order-execution',
): AuditEventInput {
  return {
    type: 'payment.status-changed',
    actor: { type: 'system', id: actor },
    clientId: order.client_id,
    psuId: order.psu_id ?? undefined,
    consentId: order.consent_id,
    data: {
      paymentId: standingOrderRunId(order.standing_order_id, order.next_run_index),
      kind: 'domestic-standing-order',
      run: order.next_run_index,
      from: 'PDNG',
      to: changes.status,
      amount,
      currency,
      ...(changes.statusReason ? { statusReason: changes.statusReason } : {}),
    },
  };
}

/** The order moves on to its next run, or to INCO after its last. */
async function advanceStandingOrder(manager: EntityManager, schedule: StandingOrderSchedule, order: DueOrderRow): Promise<void> {
  const next = standingOrderRun(schedule, order.next_run_index + 1);
  await manager.query(
    // StatusUpdateDateTime moves with the status only (PDNG -> INCO), not with each run.
    `UPDATE domestic_standing_order SET next_run_index = $2, next_run_at = $3, status = $4,
            status_update_date_time = CASE WHEN status = $4 THEN status_update_date_time ELSE now() END WHERE standing_order_id = $1`,
    [order.standing_order_id, order.next_run_index + 1, next?.dueAt ?? null, next ? 'PDNG' : 'INCO'],
  );
}

/** Scores a standing-order run before its debit; a reject makes the run RJCT FR01 (audited), a hold leaves it PDNG. */
async function screenStandingOrderRun(
  manager: EntityManager,
  risk: PaymentRiskEngine,
  order: DueOrderRow,
  paymentId: string,
  amount: string,
  currency: string,
  creditor: { schemeName: string; identification: string },
  now: Date,
): Promise<'allow' | 'hold' | 'reject'> {
  const { decision } = await risk.assess(manager, {
    paymentId,
    paymentKind: 'domestic-standing-order',
    consentId: order.consent_id,
    clientId: order.client_id,
    psuId: order.psu_id,
    debtorAccountId: order.debtor_account_id,
    creditor,
    amount,
    currency,
    at: now,
  });
  if (decision === 'reject') {
    const rejected = { status: 'RJCT', statusReason: RISK_REJECTED_REASON, statusReasonDescription: null, ledgerTransactionId: null, statusUpdateDateTime: new Date() } as const;
    await recordRunOutcome(manager, order, amount, currency, rejected, 'risk-engine');
  }
  return decision;
}
