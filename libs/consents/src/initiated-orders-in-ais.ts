import type { BankCreditorAccount, BankScheduledPayment, BankStandingOrder, ListSlice, ListWindow, PlatformHeldOrders } from '@consentry/banking';
import { DataSource } from '@consentry/database';

import { summariseInitiation } from './payment-initiation.js';
import { lastStandingOrderRun, readStandingOrderSchedule, standingOrderRun } from './standing-order-frequency.js';

/** One list of orders the platform holds, keyed as the banks' lists are: (debtor account, order id). */
interface HeldOrderList {
  /** The table, aliased `o`. */
  from: string;
  id: string;
  /** The orders still to be paid, which the bank's own lists would show. */
  pending: string;
  columns: string;
  /** Joined for the page's rows only (never for its count). */
  joins?: string;
}

const STANDING_ORDERS: HeldOrderList = {
  from: 'domestic_standing_order o',
  id: 'o.standing_order_id',
  pending: `o.status = 'PDNG'`,
  // The last run the bank booked, from the order's runs (its primary key's index, newest first).
  columns: `o.debtor_account_id AS account_id, o.standing_order_id AS id, o.initiation, o.next_run_index, o.next_run_at, last.run_index AS last_run_index, last.due_at AS last_run_at`,
  joins: `LEFT JOIN LATERAL (SELECT r.run_index, r.due_at FROM standing_order_run r WHERE r.standing_order_id = o.standing_order_id AND r.ledger_transaction_id IS NOT NULL
                            ORDER BY r.run_index DESC LIMIT 1) AS last ON true`,
};

const SCHEDULED_PAYMENTS: HeldOrderList = {
  from: 'domestic_payment o',
  id: 'o.payment_id',
  pending: `o.status = 'PDNG' AND o.requested_execution_date_time IS NOT NULL AND o.ledger_transaction_id IS NULL`,
  columns: `o.debtor_account_id AS account_id, o.payment_id AS id, o.initiation, o.requested_execution_date_time`,
};

type Row = Record<string, unknown> & { account_id: string; id: string; initiation: Record<string, unknown> };

// OB's Reference of a scheduled payment is Max35Text; a standing order's remittance line Max140Text.
const SCHEDULED_REFERENCE_MAX = 35;

function firstRemittanceLine(initiation: Record<string, unknown>, maxLength: number): string | null {
  const lines = ((initiation.RemittanceInformation ?? {}) as { Unstructured?: unknown }).Unstructured;
  const first = Array.isArray(lines) ? lines.find((line): line is string => typeof line === 'string' && line !== '') : undefined;
  return first !== undefined && Array.from(first).length <= maxLength ? first : null;
}

/** The payee as the Initiation names it (summariseInitiation's reading, the one payment execution uses). */
function creditorOf(initiation: Record<string, unknown>): BankCreditorAccount {
  const { schemeName, identification, name } = summariseInitiation(initiation).creditorAccount;
  return { schemeName, identification, name: name || null };
}

/**
 * The standing orders and scheduled payments TPPs set up through payment initiation, listed in account
 * information beside the bank's own: the platform's worker runs them, so the bank's ledger knows only each
 * run's debit, and an AISP reading the account would not see the PSU's commitments (until 7 December
 * 2026 it did not). Only orders still to be paid are listed: a standing order `PDNG` (ACTV, with its
 * next run's date and amount), a scheduled payment not yet run. Their ids are the payment-initiation
 * resources' (`DomesticStandingOrderId`, `DomesticScheduledPaymentId`); what a consent may see of them
 * (Basic or Detail, ReadPAN) is decided above, as for the bank's records.
 */
export class InitiatedOrdersInAis implements PlatformHeldOrders {
  constructor(private readonly dataSource: DataSource) {}

  async listStandingOrders(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankStandingOrder>> {
    const { rows, total, position } = await this.sliceOf(STANDING_ORDERS, accountIds, window);
    const items = rows.flatMap((row): BankStandingOrder[] => {
      const read = readStandingOrderSchedule(row.initiation);
      // Every stored order passed this reading when it was made; one that no longer does is not shown half-read.
      if (!('schedule' in read)) return [];
      const { schedule } = read;
      const next = row.next_run_at ? standingOrderRun(schedule, row.next_run_index as number) : null;
      const last = row.last_run_index === null || row.last_run_index === undefined ? null : standingOrderRun(schedule, row.last_run_index as number);
      // The final payment, by its count or its final date: its amount (until 7 December 2026 an order ended
      // by NumberOfPayments showed none until that run was the next) and the day it is made (until 8
      // December 2026 the TPP's FinalPaymentDateTime bound, which no run need fall on).
      const final = lastStandingOrderRun(schedule);
      return [
        {
          accountId: row.account_id,
          standingOrderId: row.id,
          statusCode: 'ACTV',
          frequency: String(((row.initiation.MandateRelatedInformation as Record<string, unknown>).Frequency as Record<string, unknown>).Type),
          reference: firstRemittanceLine(row.initiation, 140),
          numberOfPayments: schedule.numberOfPayments,
          firstPaymentDateTime: schedule.first.at,
          nextPaymentDateTime: (row.next_run_at as Date | null) ?? null,
          lastPaymentDateTime: (row.last_run_at as Date | null) ?? null,
          finalPaymentDateTime: final?.dueAt ?? null,
          amount: next?.amount ?? schedule.first.amount,
          amounts: { first: schedule.first.amount, next: next?.amount ?? null, last: last?.amount ?? null, final: final?.amount ?? null },
          currency: schedule.first.currency,
          creditorAccount: creditorOf(row.initiation),
        },
      ];
    });
    return { items, total, position };
  }

  async listScheduledPayments(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankScheduledPayment>> {
    const { rows, total, position } = await this.sliceOf(SCHEDULED_PAYMENTS, accountIds, window);
    const items = rows.map((row): BankScheduledPayment => {
      const { amount, currency } = summariseInitiation(row.initiation);
      return {
        accountId: row.account_id,
        scheduledPaymentId: row.id,
        scheduledPaymentDateTime: row.requested_execution_date_time as Date,
        scheduledType: 'Execution',
        reference: firstRemittanceLine(row.initiation, SCHEDULED_REFERENCE_MAX),
        debtorReference: null,
        amount,
        currency,
        creditorAccount: creditorOf(row.initiation),
      };
    });
    return { items, total, position };
  }

  /** One keyset window of a list over the accounts' pending orders, with its whole count and position (ListWindow's rules). */
  private async sliceOf(list: HeldOrderList, accountIds: readonly string[], window: ListWindow): Promise<{ rows: Row[]; total: number; position: number }> {
    if (accountIds.length === 0) return { rows: [], total: 0, position: 0 };
    const key = `(o.debtor_account_id COLLATE "C", ${list.id} COLLATE "C")`;
    const scope = `FROM ${list.from} WHERE o.debtor_account_id COLLATE "C" = ANY($1::text[]) AND ${list.pending}`;
    const bound = window.direction === 'asc' ? window.after : window.before;
    const order = window.direction === 'asc' ? 'ASC' : 'DESC';
    const limit = Math.max(0, window.limit);
    const pageParams: unknown[] = [accountIds, limit];
    const keyset = bound ? ` AND ${key} ${window.direction === 'asc' ? '>' : '<'} ($${pageParams.push(bound.accountId)}, $${pageParams.push(bound.id)})` : '';
    const countParams: unknown[] = [accountIds];
    const at = window.position;
    const positionSql = at ? `count(*) FILTER (WHERE ${key} ${at.inclusive ? '<=' : '<'} ($${countParams.push(at.key.accountId)}, $${countParams.push(at.key.id)}))::int` : '0';
    const [rows, counts]: [Row[], Array<{ total: number; position: number }>] = await Promise.all([
      limit === 0
        ? Promise.resolve([])
        : this.dataSource.query(
            `SELECT ${list.columns} FROM (SELECT o.* ${scope}${keyset} ORDER BY o.debtor_account_id COLLATE "C" ${order}, ${list.id} COLLATE "C" ${order} LIMIT $2) AS o ${list.joins ?? ''}
              ORDER BY o.debtor_account_id COLLATE "C" ${order}, ${list.id} COLLATE "C" ${order}`,
            pageParams,
          ),
      this.dataSource.query(`SELECT count(*)::int AS total, ${positionSql} AS position ${scope}`, countParams),
    ]);
    return { rows, total: counts[0]?.total ?? 0, position: counts[0]?.position ?? 0 };
  }
}
