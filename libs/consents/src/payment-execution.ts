import { auditEventsWrite, recordAuditEvent } from '@consentry/audit';
import type { AuditEventInput } from '@consentry/audit';
import type { AggregatedBank, BankPaymentRejection, BankPaymentResult } from '@consentry/banking';
import { ConnectorUnavailableError } from '@consentry/banking';
import { DataSource, DomesticPaymentStatus, EntityManager, standingOrderRunId, WritePart } from '@consentry/database';
import { PaymentRiskEngine, RISK_REJECTED_REASON, screenPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import { isOrderAsApproved, NOT_AS_APPROVED_DESCRIPTION, NOT_AS_APPROVED_REASON } from './approved-order.js';
import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import type { PaymentApprovalSeal } from './payment-approval-seal.js';
import { summariseInitiation } from './payment-initiation.js';
import { openReviewCondition } from './review-status.js';
import { readStandingOrderSchedule, StandingOrderSchedule, standingOrderRun } from './standing-order-frequency.js';

const REJECTION_TEXT: Record<BankPaymentRejection, string> = {
  AM04: 'Insufficient funds',
  AM03: 'The currency is not the debtor account’s',
  AC06: 'The debtor account cannot be debited',
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
 * of a stranded payment, redriveStrandedPayments) is neither overwritten nor told twice.
 */
export function bankOutcomeWrites(
  table: 'domestic_payment' | 'vrp_payment',
  paymentId: string,
  changes: ReturnType<typeof bankOutcomeChanges>,
  event: AuditEventInput,
): [WritePart, WritePart] {
  return [
    {
      name: OUTCOME_PART,
      sql: `UPDATE ${table} SET status = $2, status_reason = $3, status_reason_description = $4, ledger_transaction_id = $5, status_update_date_time = $6
             WHERE payment_id = $1 AND status = 'PDNG' RETURNING payment_id`,
      values: [paymentId, changes.status, changes.statusReason, changes.statusReasonDescription, changes.ledgerTransactionId, changes.statusUpdateDateTime],
    },
    auditEventsWrite([event], `EXISTS (SELECT 1 FROM ${OUTCOME_PART})`),
  ];
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
 * at a time by keyset. Each order is locked (FOR UPDATE SKIP LOCKED, so two workers never take the
 * same one, and a PSU's cancel waits for it) while the bank debits it (idempotent on the payment id:
 * an order run again after a crash is not debited twice), then becomes ACSP, or RJCT with the ISO
 * reason, with its payment.status-changed event, in the same transaction. An order that no longer
 * matches what its PSU approved (isOrderAsApproved) is RJCT AG01 and never debited. An order whose bank
 * cannot be reached, or whose execution throws, is left PDNG for the next run and the others still run.
 * `now` is the caller's clock, so tests run a date without waiting for it.
 */
export async function executeDueScheduledPayments(dataSource: DataSource, bank: AggregatedBank, now: Date, options: ScheduledExecutionOptions): Promise<ScheduledExecutionResult> {
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
      if (unreachable.has(row.connector)) {
        result.deferred += 1;
        continue;
      }
      const outcome = await isolated('domestic-scheduled-payment', row.payment_id, () => executeOne(dataSource, bank, row.payment_id, now, options, unreachable));
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
  return dataSource.transaction(async (manager) => {
    const [order]: DueRow[] = await manager.query(
      `SELECT d.payment_id, d.consent_id, d.client_id, d.debtor_account_id, d.initiation, c.psu_id FROM domestic_payment d
         JOIN payment_consent c ON c.consent_id = d.consent_id
        WHERE d.payment_id = $1 AND d.status = 'PDNG' FOR UPDATE OF d SKIP LOCKED`,
      [paymentId],
    );
    // Taken by another worker, cancelled, or run since the page was read.
    if (!order) return 'skipped';
    if (!(await isOrderAsApproved(manager, approvals, { consentId: order.consent_id, debtorAccountId: order.debtor_account_id, initiation: order.initiation }))) {
      await recordOutcome(manager, paymentId, order, notAsApproved());
      return 'executed';
    }
    const summary = summariseInitiation(order.initiation);
    if (risk) {
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
    let answer: BankPaymentResult;
    try {
      answer = await bank.initiatePayment({
        paymentId,
        debtorAccountId: order.debtor_account_id,
        amount: summary.amount,
        currency: summary.currency,
        creditorAccount: summary.creditorAccount,
        reference: summary.endToEndIdentification,
        information: summary.remittance,
      });
    } catch (error) {
      if (!(error instanceof ConnectorUnavailableError)) throw error;
      unreachable.note(error);
      return 'deferred';
    }
    await recordOutcome(manager, paymentId, order, bankOutcomeChanges(answer));
    return 'executed';
  });
}

/** An order that no longer matches its approval: RJCT AG01, nothing debited. */
function notAsApproved(): ReturnType<typeof bankOutcomeChanges> {
  return { status: 'RJCT', statusReason: NOT_AS_APPROVED_REASON, statusReasonDescription: NOT_AS_APPROVED_DESCRIPTION, ledgerTransactionId: null, statusUpdateDateTime: new Date() };
}

/** A scheduled payment's new status, with its payment.status-changed event. */
async function recordOutcome(manager: EntityManager, paymentId: string, order: DueRow, changes: ReturnType<typeof bankOutcomeChanges>): Promise<void> {
  await manager.query(
    `UPDATE domestic_payment SET status = $2, status_reason = $3, status_reason_description = $4, ledger_transaction_id = $5, status_update_date_time = $6
      WHERE payment_id = $1`,
    [paymentId, changes.status, changes.statusReason, changes.statusReasonDescription, changes.ledgerTransactionId, changes.statusUpdateDateTime],
  );
  await recordAuditEvent(manager, {
    type: 'payment.status-changed',
    actor: { type: 'system', id: 'scheduled-payment-execution' },
    clientId: order.client_id,
    // The PSU's alerts ("A scheduled payment was not made") follow the event's PSU.
    ...(order.psu_id ? { psuId: order.psu_id } : {}),
    consentId: order.consent_id,
    data: { paymentId, kind: 'domestic-scheduled-payment', from: 'PDNG', to: changes.status, ...(changes.statusReason ? { statusReason: changes.statusReason } : {}) },
  });
}

/**
 * The PSU cancels one of their scheduled payments before it runs: PDNG -> CANC, audited. A payment
 * already run (or being run: the cancel waits for the execution's lock) cannot be: 409. One held for
 * review leaves the review queue (`withdrawn`).
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
      `UPDATE domestic_payment d SET status = 'CANC', status_update_date_time = now()
         FROM payment_consent c
        WHERE d.payment_id = $1 AND c.consent_id = d.consent_id AND c.psu_id = $2 AND d.requested_execution_date_time IS NOT NULL AND d.status = 'PDNG'
        RETURNING d.consent_id, d.client_id`,
      [command.paymentId, command.psuId],
    );
    const [cancelled] = rows;
    if (!cancelled) {
      const [exists]: Array<{ status: string }> = await manager.query(
        `SELECT d.status FROM domestic_payment d JOIN payment_consent c ON c.consent_id = d.consent_id
          WHERE d.payment_id = $1 AND c.psu_id = $2 AND d.requested_execution_date_time IS NOT NULL`,
        [command.paymentId, command.psuId],
      );
      if (!exists) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such scheduled payment');
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
      `UPDATE payment_risk_assessment SET review_status = 'withdrawn', reviewed_by = $2, reviewed_at = now(), review_reason = 'Cancelled by the PSU'
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
 * run being paid. Another PSU's order, or one that does not exist, is "not found"; one already ended is
 * an invalid status (409).
 */
export async function cancelStandingOrder(dataSource: DataSource, command: { standingOrderId: string; psuId: string; interactionId?: string }): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const [order]: Array<{ status: string; consent_id: string; client_id: string }> = await manager.query(
      `SELECT status, consent_id, client_id FROM domestic_standing_order WHERE standing_order_id = $1 AND psu_id = $2 FOR UPDATE`,
      [command.standingOrderId, command.psuId],
    );
    if (!order) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such standing order');
    if (order.status !== 'PDNG') throw new ConsentException(ConsentExceptionCode.InvalidStatus, `the standing order is ${order.status}, it cannot be cancelled`);
    await manager.query(
      `UPDATE domestic_standing_order SET status = 'CANC', next_run_at = NULL, status_update_date_time = now() WHERE standing_order_id = $1`,
      [command.standingOrderId],
    );
    await recordAuditEvent(manager, {
      type: 'payment.status-changed',
      actor: { type: 'psu', id: command.psuId },
      clientId: order.client_id,
      psuId: command.psuId,
      consentId: order.consent_id,
      interactionId: command.interactionId,
      data: { paymentId: command.standingOrderId, kind: 'domestic-standing-order', from: 'PDNG', to: 'CANC' },
    });
  });
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
 * run number, makes a run paid at most once), the bank debits it (idempotent on the run's payment id),
 * then the run becomes ACSP or RJCT (AM04), audited, and the order moves on to its next run, or to INCO
 * after its last; an order behind by several periods catches up one run per pass. A bank that cannot be
 * reached, or a run that throws (logged), leaves the run for the next pass, and the other orders still run.
 * A run of an order that no longer matches what its PSU approved (isOrderAsApproved) is RJCT AG01 and
 * never debited.
 */
export async function executeDueStandingOrderRuns(dataSource: DataSource, bank: AggregatedBank, now: Date, options: ScheduledExecutionOptions): Promise<ScheduledExecutionResult> {
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
        if (unreachable.has(row.connector)) {
          result.deferred += 1;
          continue;
        }
        const outcome = await isolated('domestic-standing-order', row.standing_order_id, () => runOnce(dataSource, bank, row.standing_order_id, now, options, unreachable));
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
  return dataSource.transaction(async (manager) => {
    const [order]: DueOrderRow[] = await manager.query(
      `SELECT standing_order_id, consent_id, client_id, psu_id, debtor_account_id, initiation, next_run_index, next_run_at FROM domestic_standing_order
        WHERE standing_order_id = $1 AND status = 'PDNG' AND next_run_at <= $2 FOR UPDATE SKIP LOCKED`,
      [orderId, now],
    );
    if (!order) return 'skipped';
    const read = readStandingOrderSchedule(order.initiation);
    if ('problem' in read) throw new Error(`standing order ${orderId} holds an Initiation it was accepted with but cannot run: ${read.problem.message}`);
    const run = standingOrderRun(read.schedule, order.next_run_index);
    const currency = read.schedule.first.currency;
    if (run) {
      const paymentId = standingOrderRunId(orderId, order.next_run_index);
      await manager.query(
        `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
         VALUES ($1, $2, $3, $4, $5, $6, 'PDNG', now()) ON CONFLICT DO NOTHING`,
        [orderId, order.next_run_index, paymentId, run.dueAt, run.amount, currency],
      );
      if (!(await isOrderAsApproved(manager, approvals, { consentId: order.consent_id, debtorAccountId: order.debtor_account_id, initiation: order.initiation }))) {
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
      let answer: BankPaymentResult;
      try {
        answer = await bank.initiatePayment({
          paymentId,
          debtorAccountId: order.debtor_account_id,
          amount: run.amount,
          currency,
          creditorAccount: summary.creditorAccount,
          reference: text(order.initiation.Reference) ?? summary.endToEndIdentification,
          information: null,
        });
      } catch (error) {
        if (!(error instanceof ConnectorUnavailableError)) throw error;
        unreachable.note(error);
        return 'deferred';
      }
      await recordRunOutcome(manager, order, run.amount, currency, bankOutcomeChanges(answer));
    }
    await advanceStandingOrder(manager, read.schedule, order);
    return run ? 'executed' : 'skipped';
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
  await recordAuditEvent(manager, {
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
  });
}

/** The order moves on to its next run, or to INCO after its last. */
async function advanceStandingOrder(manager: EntityManager, schedule: StandingOrderSchedule, order: DueOrderRow): Promise<void> {
  const next = standingOrderRun(schedule, order.next_run_index + 1);
  await manager.query(
    `UPDATE domestic_standing_order SET next_run_index = $2, next_run_at = $3, status = $4, status_update_date_time = now() WHERE standing_order_id = $1`,
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

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
