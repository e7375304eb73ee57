import { InvalidCursorError } from '@consentry/banking';
import { DataSource } from '@consentry/database';

/**
 * A page of a standing order's runs, by run index (the table's primary key): forwards after an index
 * (Links.Next), backwards before one (Links.Prev), or the final page (Links.Last, what is left after
 * whole pages from the first run). A daily order makes up to 9,999 runs; no answer holds more than a page.
 */
export type RunPageCursor = { kind: 'after' | 'before'; runIndex: number } | { kind: 'last' };

export interface StandingOrderRun {
  paymentId: string;
  ledgerTransactionId: string | null;
  status: string;
  /** Why a rejected run was (AM04, FR01, ...); null otherwise. */
  statusReason: string | null;
  statusUpdateDateTime: Date;
}

export interface StandingOrderRunPage {
  runs: StandingOrderRun[];
  /** Runs the order has made in all. */
  total: number;
  next: string | null;
  prev: string | null;
  /** The final page's cursor, when there is more than one page. */
  last: string | null;
}

const MAX_RUN_INDEX = 10_000_000;

function encode(value: unknown[]): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const LAST_CURSOR = encode(['>|']);

/** A cursor this API issued, read back; anything else is InvalidCursorError (400 U002, Path `page`). */
export function decodeRunPageCursor(cursor: string): RunPageCursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 1 && parsed[0] === '>|') return { kind: 'last' };
    if (Array.isArray(parsed) && parsed.length === 2 && (parsed[0] === '>' || parsed[0] === '<')) {
      const runIndex: unknown = parsed[1];
      if (typeof runIndex === 'number' && Number.isInteger(runIndex) && runIndex >= 0 && runIndex < MAX_RUN_INDEX) {
        return { kind: parsed[0] === '>' ? 'after' : 'before', runIndex };
      }
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('unrecognised page cursor');
}

interface RunRow {
  total: number;
  /** Runs on the far side of the cursor (before an `after` page, after a `before` page). */
  beyond: number;
  run_index: number | null;
  payment_id: string | null;
  ledger_transaction_id: string | null;
  status: string | null;
  status_reason: string | null;
  status_update_date_time: Date | null;
}

/**
 * One page of the order's runs, oldest first, with the count of all of them, in one statement on the
 * primary key: the page and the counts, whatever page is asked.
 */
export async function readStandingOrderRunPage(dataSource: DataSource, standingOrderId: string, cursor: RunPageCursor | null, pageSize: number): Promise<StandingOrderRunPage> {
  // $1 the order, $2 the page size, $3 the cursor's run index.
  const params: unknown[] = [standingOrderId, pageSize];
  let keyset = '';
  let beyond = '0';
  let order = 'ASC';
  let limit = '$2::int + 1';
  if (cursor?.kind === 'after' || cursor?.kind === 'before') {
    params.push(cursor.runIndex);
    keyset = ` AND r.run_index ${cursor.kind === 'after' ? '>' : '<'} $3`;
    beyond = `count(*) FILTER (WHERE run_index ${cursor.kind === 'after' ? '<=' : '>='} $3)`;
    if (cursor.kind === 'before') order = 'DESC';
  } else if (cursor?.kind === 'last') {
    // What is left after whole pages: at most a page, counted in the same statement.
    order = 'DESC';
    limit = 'CASE WHEN s.total = 0 THEN 0 ELSE ((s.total - 1) % $2::int) + 1 END';
  }
  const rows: RunRow[] = await dataSource.query(
    `SELECT s.total, s.beyond, p.run_index, p.payment_id, p.ledger_transaction_id, p.status, p.status_reason, p.status_update_date_time
       FROM (SELECT count(*)::int AS total, ${beyond}::int AS beyond FROM standing_order_run WHERE standing_order_id = $1) s
       LEFT JOIN LATERAL (
         SELECT r.run_index, r.payment_id, r.ledger_transaction_id, r.status, r.status_reason, r.status_update_date_time
           FROM standing_order_run r WHERE r.standing_order_id = $1${keyset}
          ORDER BY r.run_index ${order} LIMIT ${limit}) p ON true`,
    params,
  );
  const total = rows[0]?.total ?? 0;
  const far = rows[0]?.beyond ?? 0;
  const found = rows.filter((row) => row.run_index !== null);
  const more = found.length > pageSize && cursor?.kind !== 'last';
  const shown = found.slice(0, pageSize);
  if (order === 'DESC') shown.reverse();
  const hasNext = cursor?.kind === 'before' ? far > 0 : cursor?.kind === 'last' ? false : more;
  const hasPrev = cursor?.kind === 'before' ? more : cursor?.kind === 'last' ? total > shown.length : far > 0;
  const first = shown[0];
  const lastShown = shown[shown.length - 1];
  return {
    runs: shown.map((row) => ({
      paymentId: row.payment_id!,
      ledgerTransactionId: row.ledger_transaction_id,
      status: row.status!,
      statusReason: row.status_reason,
      statusUpdateDateTime: row.status_update_date_time!,
    })),
    total,
    next: hasNext && lastShown ? encode(['>', lastShown.run_index]) : null,
    prev: hasPrev && first ? encode(['<', first.run_index]) : null,
    last: total > pageSize ? LAST_CURSOR : null,
  };
}
