import type { AuditEventInput } from '@consentry/audit';
import type { AggregatedBank, BankPaymentOrder } from '@consentry/banking';
import { DataSource, EntityManager, writeTogetherStatement } from '@consentry/database';
import { recordPaidPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import { isOrderAsApproved, type OrderToPay } from './approved-order.js';
import type { PaymentApprovalSeal } from './payment-approval-seal.js';
import { askBank, bankOutcomeWrites, debtorConnectorSql, isolated, type ScheduledExecutionResult, sentUnansweredSql, UnreachableBanks } from './payment-execution.js';
import { standingOrderRunText, summariseInitiation } from './payment-initiation.js';

/** What the worker's re-drive of stranded payments checks each order with. */
export interface StrandedRedriveOptions {
  /** The approvals' seal (SECRETS_KEYS): an order whose approval no longer holds is not sent (left PDNG for an operator). */
  approvals: PaymentApprovalSeal;
  /**
   * PAYMENT_REDRIVE_AFTER_SECONDS: how long an accepted order waits for its bank's answer before the
   * worker asks the bank again. Far longer than a request's own debit (the HTTP connector gives up after
   * its timeout), so the API's request has answered or died by then.
   */
  afterSeconds: number;
  /**
   * PAYMENT_REDRIVE_MAX_AGE_HOURS: an order accepted longer ago than this is not sent by the worker (an
   * immediate payment is made the day it is received or not at all unattended; the PSU may have paid
   * another way since): it stays PDNG, counted in a warning each run, for reconciliation by hand.
   */
  maxAgeHours: number;
  /** Banks found down earlier in the same run of the payment job: not asked again in it. */
  unreachable?: UnreachableBanks;
  /** Orders read per page. */
  batchSize?: number;
}

// SQL, of the order `p`: not held for review (an admin's release pays it, or the review timeout rejects it);
// one released while its bank did not answer (ReviewHeldPayment.release) is this re-drive's.
const NOT_UNDER_REVIEW = `NOT EXISTS (SELECT 1 FROM payment_risk_assessment r WHERE r.payment_id = p.payment_id AND r.decision = 'hold' AND r.review_status IS DISTINCT FROM 'released')`;
// SQL, of the order `p`: held for review and released by an admin (ReviewHeldPayment.release).
const RELEASED = `EXISTS (SELECT 1 FROM payment_risk_assessment r WHERE r.payment_id = p.payment_id AND r.decision = 'hold' AND r.review_status = 'released')`;

/**
 * Where each kind of order is stranded, and the instant it waits from (`at`, its keyset's first column).
 * Immediate payments and VRPs: the API debits them while it answers, so from their acceptance, for
 * `maxAgeHours`; one an admin released (attended, and possibly debited) has no age limit, as its review may
 * have lasted up to the review timeout. Scheduled payments and standing orders' runs held for review and released by an admin
 * whose bank did not answer: from the release's mark (markSentToBank, committed before the bank was
 * called), with no age limit (the bank may hold them debited: they are sent until it answers). The
 * worker's own scheduled payments and current runs are sent again by their runs
 * (executeDueScheduledPayments, executeDueStandingOrderRuns), not here.
 */
const STRANDED = [
  // A scheduled payment (requested_execution_date_time set) is the scheduled run's to pay, on its date.
  { table: 'domestic_payment', kind: 'domestic-payment', pending: `status = 'PDNG' AND requested_execution_date_time IS NULL AND ${NOT_UNDER_REVIEW}`, at: 'creation_date_time', maxAge: true },
  { table: 'vrp_payment', kind: 'domestic-vrp', pending: `status = 'PDNG' AND ${NOT_UNDER_REVIEW}`, at: 'creation_date_time', maxAge: true },
  {
    table: 'domestic_payment',
    kind: 'domestic-scheduled-payment',
    pending: `${sentUnansweredSql('p')} AND requested_execution_date_time IS NOT NULL AND ${RELEASED}`,
    at: 'sent_to_bank_at',
    maxAge: false,
  },
  // A run released by an admin, or whose order the PSU cancelled while it awaited its bank's answer (the
  // worker's own runs only send again the runs of orders still PDNG).
  {
    table: 'standing_order_run',
    kind: 'domestic-standing-order',
    pending: `${sentUnansweredSql('p')} AND (${RELEASED} OR NOT EXISTS (SELECT 1 FROM domestic_standing_order o WHERE o.standing_order_id = p.standing_order_id AND o.status = 'PDNG'))`,
    at: 'sent_to_bank_at',
    maxAge: false,
  },
] as const;

type StrandedKind = (typeof STRANDED)[number];

interface StrandedRow {
  payment_id: string;
  consent_id: string;
  client_id: string;
  psu_id: string | null;
  debtor_account_id: string;
  /** A domestic payment's Initiation, or a VRP's consent Initiation. */
  initiation: Record<string, unknown>;
  /** A VRP's Instruction (null for a domestic payment). */
  instruction: Record<string, unknown> | null;
  /**
   * A VRP's Instruction still holds the money its row was counted against the control parameters with
   * (always true for a domestic payment, whose Initiation the approval's seal covers whole).
   */
  as_counted: boolean;
  /** The connector of the debtor account's bank (debtorConnectorSql); null when the account names none. */
  connector: string | null;
  /** A standing order's run: its number, and the money it pays (null for other orders, whose Initiation says it). */
  run_index: number | null;
  run_amount: string | null;
  run_currency: string | null;
}

const logger = new Logger('StrandedPayments');

/**
 * Immediate payment orders the API accepted (a domestic payment or a VRP, PDNG, not held for review), and
 * held scheduled payments and standing orders' runs an admin released, whose bank's outcome was never
 * recorded: the bank could not be reached, its answer could not be read, or the
 * API's process died between the order's commit and the outcome's. After `afterSeconds` (and for
 * `maxAgeHours`) the worker asks the bank again, with the same payment id: the bank debits a payment id at
 * most once and answers a repeat with the first outcome, so an order the bank already debited is recorded
 * as it was (ACSP, its booked transaction) and one it never saw is debited now, exactly as the API would
 * have. The order then becomes ACSP, or RJCT with the bank's ISO reason, with its `payment.status-changed`
 * event (which raises the PSU's alert and the TPP's event notification), in one statement under the
 * order's row lock.
 *
 * The order was received while its consent allowed it, so a consent revoked since does not stop it (PSD2
 * Art. 80(1): a payment order cannot be revoked once the payer's bank has received it). The bank may have
 * debited it already, so no check of ours ever turns it into a final rejection: an order whose row no
 * longer matches what its PSU approved (isOrderAsApproved), a VRP whose Instruction no longer holds the
 * amount its limits counted, or one whose bank has no connector here, is not sent and stays PDNG, logged
 * for an operator on each run. Orders are read oldest first, `batchSize` at a time by keyset, and each is
 * locked FOR UPDATE SKIP LOCKED, so two workers never send one twice at once; one whose bank is still
 * down, or whose execution throws (logged), is left PDNG for the next run while the others go on; once a
 * bank is found down, its other orders wait for the next run untried (UnreachableBanks). `now` is the
 * caller's clock.
 */
export async function redriveStrandedPayments(dataSource: DataSource, bank: AggregatedBank, now: Date, options: StrandedRedriveOptions): Promise<ScheduledExecutionResult> {
  const batchSize = options.batchSize ?? 100;
  const acceptedBefore = new Date(now.getTime() - options.afterSeconds * 1000);
  const acceptedSince = new Date(now.getTime() - options.maxAgeHours * 3_600_000);
  const result: ScheduledExecutionResult = { executed: 0, deferred: 0 };
  const unreachable = options.unreachable ?? new UnreachableBanks();
  for (const stranded of STRANDED) {
    // The keyset's instant as PostgreSQL's text (microseconds): a JS Date would cut it to milliseconds.
    let after: { at: string; id: string } | null = null;
    for (;;) {
      // A run's debtor account is its order's.
      const debtor = stranded.table === 'standing_order_run' ? `(SELECT o.debtor_account_id FROM domestic_standing_order o WHERE o.standing_order_id = p.standing_order_id)` : 'p.debtor_account_id';
      const rows: Array<{ payment_id: string; at: string; connector: string | null }> = await dataSource.query(
        `SELECT payment_id, ${stranded.at}::text AS at, ${debtorConnectorSql(debtor)} FROM ${stranded.table} p
          WHERE ${stranded.pending} AND ${stranded.at} <= $1 AND ($5::timestamptz IS NULL OR ${stranded.at} >= $5 OR ${RELEASED})
            AND ($2::timestamptz IS NULL OR (${stranded.at}, payment_id) > ($2::timestamptz, $3))
          ORDER BY ${stranded.at}, payment_id LIMIT $4`,
        [acceptedBefore, after?.at ?? null, after?.id ?? null, batchSize, stranded.maxAge ? acceptedSince : null],
      );
      for (const row of rows) {
        if (unreachable.waits(bank, row.connector)) {
          result.deferred += 1;
          continue;
        }
        const outcome = await isolated(stranded.kind, row.payment_id, () => redriveOne(dataSource, bank, stranded, row.payment_id, options.approvals, unreachable));
        if (outcome === 'executed') result.executed += 1;
        if (outcome === 'deferred') result.deferred += 1;
      }
      if (rows.length < batchSize) break;
      const last = rows[rows.length - 1]!;
      after = { at: last.at, id: last.payment_id };
    }
  }
  await warnOfTooOld(dataSource, acceptedSince, options.maxAgeHours);
  return result;
}

/** One warning a run while stranded orders older than PAYMENT_REDRIVE_MAX_AGE_HOURS wait for reconciliation by hand. */
async function warnOfTooOld(dataSource: DataSource, acceptedSince: Date, maxAgeHours: number): Promise<void> {
  const [{ n }]: Array<{ n: number }> = await dataSource.query(
    `SELECT ${STRANDED.filter((stranded) => stranded.maxAge)
      .map((stranded) => `(SELECT count(*) FROM ${stranded.table} p WHERE ${stranded.pending} AND ${stranded.at} < $1 AND NOT ${RELEASED})`)
      .join(' + ')}::int AS n`,
    [acceptedSince],
  );
  if (n > 0) logger.warn(`${n} payment orders accepted more than ${maxAgeHours} h ago are still PDNG without their bank's outcome: reconcile them by hand (PAYMENT_REDRIVE_MAX_AGE_HOURS)`);
}

async function redriveOne(
  dataSource: DataSource,
  bank: AggregatedBank,
  stranded: StrandedKind,
  paymentId: string,
  approvals: PaymentApprovalSeal,
  unreachable: UnreachableBanks,
): Promise<'executed' | 'deferred' | 'skipped'> {
  return dataSource.transaction(async (manager) => {
    const row = await lockStranded(manager, stranded, paymentId);
    // Recorded since the page was read (the API's own outcome, another worker), or taken by another worker now.
    if (!row) return 'skipped';
    // A bank with no connector here (the worker's HTTP_BANK_CONNECTORS lack one the API has): its outcome
    // is unknown here, never a rejection (AggregatedBank would answer AC06).
    if (row.connector === null || !bank.serves(row.connector)) {
      logger.warn(`${stranded.kind} ${paymentId} left PDNG: its bank's connector ${row.connector ?? '(none)'} is not configured in this worker`);
      return 'deferred';
    }
    const { request, order } = bankRequestOf(row);
    // The bank may hold it debited already: an order that no longer matches its approval is not sent, and
    // not rejected either (a key rotation that did not reseal its consent, a row changed by hand).
    if (!row.as_counted || !(await isOrderAsApproved(manager, approvals, order))) {
      logger.error(`${stranded.kind} ${paymentId} left PDNG, not sent: it no longer matches what its PSU approved; reconcile it by hand`);
      return 'deferred';
    }
    const changes = await askBank(bank, request, unreachable);
    if (!changes) return 'deferred';
    const event: AuditEventInput = {
      type: 'payment.status-changed',
      actor: { type: 'system', id: 'payment-redrive' },
      clientId: row.client_id,
      // The PSU's alerts ("A payment was not made") follow the event's PSU.
      ...(row.psu_id ? { psuId: row.psu_id } : {}),
      consentId: row.consent_id,
      data: {
        paymentId,
        kind: stranded.kind,
        // A run's event names its run and money, as the standing order's own runs do.
        ...(row.run_index !== null ? { run: row.run_index, amount: request.amount, currency: request.currency } : {}),
        from: 'PDNG',
        to: changes.status,
        ...(changes.statusReason ? { statusReason: changes.statusReason } : {}),
      },
    };
    const { sql, values } = writeTogetherStatement(bankOutcomeWrites(stranded.table, paymentId, changes, event));
    await manager.query(sql, values);
    if (changes.status === 'ACSP') await recordReleasedPaid(manager, paymentId);
    return 'executed';
  });
}

/**
 * A held payment an admin released whose bank did not answer then, paid now: its payee becomes known to
 * the account, and it joins the account's and the PSU's history, as a release that was answered does.
 */
async function recordReleasedPaid(manager: EntityManager, paymentId: string): Promise<void> {
  // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
  const [[released]]: [Array<{ debtor_account_id: string; psu_id: string | null; amount: string; currency: string; assessed_at: Date }>, number] = await manager.query(
    `UPDATE payment_risk_assessment SET paid = true WHERE payment_id = $1 AND review_status = 'released' AND NOT paid
     RETURNING debtor_account_id, psu_id, amount::text AS amount, currency, assessed_at`,
    [paymentId],
  );
  if (released) {
    await recordPaidPayment(manager, { debtorAccountId: released.debtor_account_id, psuId: released.psu_id, amount: released.amount, currency: released.currency, at: released.assessed_at });
  }
}

/** The stranded order's row, locked (SKIP LOCKED), while it is still PDNG, with its consent's PSU. */
async function lockStranded(manager: EntityManager, stranded: StrandedKind, paymentId: string): Promise<StrandedRow | undefined> {
  if (stranded.table === 'standing_order_run') {
    const [run]: StrandedRow[] = await manager.query(
      `SELECT r.payment_id, o.consent_id, o.client_id, o.psu_id, o.debtor_account_id, o.initiation, NULL AS instruction, true AS as_counted,
              ${debtorConnectorSql('o.debtor_account_id')}, r.run_index, r.amount::text AS run_amount, r.currency AS run_currency
         FROM standing_order_run r JOIN domestic_standing_order o ON o.standing_order_id = r.standing_order_id
        WHERE r.payment_id = $1 AND ${sentUnansweredSql('r')} FOR UPDATE OF r SKIP LOCKED`,
      [paymentId],
    );
    return run;
  }
  const [row]: StrandedRow[] =
    stranded.table === 'vrp_payment'
      ? await manager.query(
          `SELECT v.payment_id, v.consent_id, v.client_id, c.psu_id, v.debtor_account_id, v.initiation, v.instruction, ${debtorConnectorSql('v.debtor_account_id')},
                  NULL AS run_index, NULL AS run_amount, NULL AS run_currency,
                  CASE WHEN (v.instruction->'InstructedAmount'->>'Currency') IS DISTINCT FROM trim(v.currency) THEN false
                       WHEN (v.instruction->'InstructedAmount'->>'Amount') ~ '^[0-9]{1,13}([.][0-9]{1,5})?$'
                         THEN (v.instruction->'InstructedAmount'->>'Amount')::numeric = v.amount
                       ELSE false END AS as_counted
             FROM vrp_payment v JOIN payment_consent c ON c.consent_id = v.consent_id
            WHERE v.payment_id = $1 AND v.status = 'PDNG' FOR UPDATE OF v SKIP LOCKED`,
          [paymentId],
        )
      : await manager.query(
          `SELECT d.payment_id, d.consent_id, d.client_id, c.psu_id, d.debtor_account_id, d.initiation, NULL AS instruction, true AS as_counted,
                  ${debtorConnectorSql('d.debtor_account_id')}, NULL AS run_index, NULL AS run_amount, NULL AS run_currency
             FROM domestic_payment d JOIN payment_consent c ON c.consent_id = d.consent_id
            WHERE d.payment_id = $1 AND d.status = 'PDNG' AND ${stranded.kind === 'domestic-scheduled-payment' ? `d.requested_execution_date_time IS NOT NULL AND d.sent_to_bank_at IS NOT NULL` : 'd.requested_execution_date_time IS NULL'}
              FOR UPDATE OF d SKIP LOCKED`,
          [paymentId],
        );
  return row;
}

/** What the bank is asked to pay, read from the order's own row, with its copies of the approval's terms. */
function bankRequestOf(row: StrandedRow): { request: BankPaymentOrder; order: OrderToPay } {
  // A VRP's money, payee and reference are its Instruction's (as the API sends them); its consent's
  // Initiation is what the PSU approved.
  const summary = summariseInitiation(row.instruction ?? row.initiation);
  // A standing order's run pays its own amount, with the order's remittance, as its execution sends it.
  return {
    request:
      row.run_amount !== null && row.run_currency !== null
        ? { paymentId: row.payment_id, debtorAccountId: row.debtor_account_id, amount: row.run_amount, currency: row.run_currency, creditorAccount: summary.creditorAccount, ...standingOrderRunText(row.initiation) }
        : {
            paymentId: row.payment_id,
            debtorAccountId: row.debtor_account_id,
            amount: summary.amount,
            currency: summary.currency,
            creditorAccount: summary.creditorAccount,
            reference: summary.endToEndIdentification,
            information: summary.remittance,
          },
    order: {
      consentId: row.consent_id,
      debtorAccountId: row.debtor_account_id,
      initiation: row.initiation,
      ...(row.instruction ? { instructedCreditorAccount: row.instruction.CreditorAccount } : {}),
    },
  };
}
