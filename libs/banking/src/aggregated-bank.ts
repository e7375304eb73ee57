import { DataSource } from '@consentry/database';

import {
  AccountPartyQuery,
  BankAccount,
  BankAccountParty,
  BankBalance,
  BankBeneficiary,
  BankConnector,
  BankDirectDebit,
  BankOffer,
  BankPaymentOrder,
  BankPaymentResult,
  BankParty,
  BankProduct,
  BankScheduledPayment,
  BankStandingOrder,
  BankStatement,
  ConnectorUnavailableError,
  EMPTY_TRANSACTION_PAGE,
  ListCursor,
  ListKey,
  ListSlice,
  ListWindow,
  MAX_PAGE_SIZE,
  StatementQuery,
  TransactionPage,
  TransactionQuery,
  TransactionSummary,
  TransactionSummaryQuery,
} from './bank-connector.js';

/** What a bulk read gathered: the records of every reachable bank, and the accounts whose bank was down. */
export interface Gathered<T> {
  items: T[];
  /** Account ids whose connector could not answer, in the order asked. */
  unavailable: string[];
}

/**
 * One page of an AIS list across every bank: the records in key order, where the neighbouring pages start
 * (the keys the API turns into Links), how many pages the whole list spans, and the accounts whose bank
 * was down (their records are missing, as in Gathered).
 */
export interface ListPage<T> {
  items: T[];
  /** The page's last key, when a next page exists (Links.Next starts after it). */
  nextAfter: ListKey | null;
  /** The page's first key, when a previous page exists (Links.Prev ends before it). */
  prevBefore: ListKey | null;
  totalPages: number;
  unavailable: string[];
}

function compareKeys(a: ListKey, b: ListKey): number {
  if (a.accountId !== b.accountId) return a.accountId < b.accountId ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

interface Route {
  connector: BankConnector;
  accountIds: string[];
}

/**
 * A bank's records, checked to be of the accounts it was asked about: a record of another account (an
 * adapter ignoring the filter would send another customer's balances or transactions) makes the whole
 * answer untrustworthy, so the bank is taken as unavailable for this read (its accounts are reported
 * unavailable, nothing of its answer is shown). Until 7 December 2026 such records reached the TPP.
 */
function ownRecords<T extends { accountId: string }>(connector: string, asked: readonly string[], records: T[]): T[] {
  const accounts = new Set(asked);
  if (records.some((record) => !accounts.has(record.accountId))) {
    throw new ConnectorUnavailableError(connector, `${connector}: answered records of accounts it was not asked about`);
  }
  return records;
}

/**
 * A transactions page checked against what was asked, as ownRecords checks the accounts: no more than
 * the page size, every booking inside the window asked (the consent's TransactionFrom/ToDateTime, clipped
 * by the TPP's own), and a next page that is not this one again. An answer that breaks one is
 * untrustworthy (an adapter ignoring the dates would show transactions the PSU never consented to; one
 * ignoring the cursor would give the TPP a Next link that never ends): the bank is taken as unavailable.
 * Until 7 December 2026 only the accounts were checked.
 */
function withinQuery(connector: string, query: TransactionQuery, page: TransactionPage): TransactionPage {
  const refuse = (why: string): never => {
    throw new ConnectorUnavailableError(connector, `${connector}: answered a transactions page ${why}`);
  };
  if (page.transactions.length > query.pageSize) refuse('longer than the page size asked');
  for (const transaction of page.transactions) {
    const at = transaction.bookingDateTime.getTime();
    if ((query.from && at < query.from.getTime()) || (query.to && at > query.to.getTime())) refuse('with bookings outside the dates asked');
  }
  if (query.after !== undefined && page.nextCursor === query.after) refuse('whose next page is the one asked');
  return page;
}

/**
 * A list window's slice checked against the window, as withinQuery checks a transactions page: no more
 * records than the window's limit, none on the wrong side of its key, and a position within the total.
 */
function withinWindow<T extends { accountId: string }>(connector: string, window: ListWindow, slice: ListSlice<T>, idOf: (item: T) => string): ListSlice<T> {
  const refuse = (why: string): never => {
    throw new ConnectorUnavailableError(connector, `${connector}: answered a list window ${why}`);
  };
  if (slice.items.length > window.limit) refuse('longer than its limit');
  if (slice.position > slice.total || slice.items.length > slice.total) refuse('counting more before its key than in the whole list');
  let previous: ListKey | null = null;
  for (const item of slice.items) {
    const key = { accountId: item.accountId, id: idOf(item) };
    if (window.after && compareKeys(key, window.after) <= 0) refuse('with records at or before the key it starts after');
    if (window.before && compareKeys(key, window.before) >= 0) refuse('with records at or after the key it ends before');
    // In the window's order (key order, or reverse key order for `desc`), each key once: until 8 December
    // 2026 a balance answered twice was shown to the TPP twice.
    if (previous && (window.direction === 'desc' ? compareKeys(previous, key) : compareKeys(key, previous)) <= 0) refuse('out of its order or with a record twice');
    previous = key;
  }
  return slice;
}

/**
 * Records the platform itself holds for accounts, beside their banks': the standing orders and scheduled
 * payments TPPs set up through payment initiation, which the platform's worker runs (a bank sees only each
 * run's debit). AggregatedBank lists them with the banks' records, in the same keyset windows.
 */
export interface PlatformHeldOrders {
  listStandingOrders(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankStandingOrder>>;
  listScheduledPayments(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankScheduledPayment>>;
}

/**
 * Reads account data across every bank the platform aggregates. Each account belongs to an ASPSP whose
 * `connector` column names the BankConnector serving it; a bulk read asks each connector for its own
 * accounts in parallel, and a connector that is down costs only its accounts. This is the one place the
 * API layer meets connectors: adding a bank kind means adding a connector, nothing above it.
 */
export class AggregatedBank {
  private readonly connectors: Map<string, BankConnector>;
  /** account id -> connector name, with when it was read. */
  private readonly routeCache = new Map<string, { connector: string; at: number }>();
  /**
   * How long an account's bank assignment is remembered. It changes only when an account moves banks
   * (an operator's act); what the TPP may see is decided per request by the consent, never by this.
   */
  private readonly routeTtlMs: number;
  private readonly heldOrders: PlatformHeldOrders | undefined;

  constructor(
    private readonly dataSource: DataSource,
    connectors: readonly BankConnector[],
    options: { routeTtlMs?: number; heldOrders?: PlatformHeldOrders } = {},
  ) {
    this.routeTtlMs = options.routeTtlMs ?? 30_000;
    this.heldOrders = options.heldOrders;
    this.connectors = new Map(connectors.map((c) => [c.name, c]));
    // Two connectors of one name (an HTTP_BANK_CONNECTORS entry named twice, or named as the sandbox
    // ledger) would leave one bank's accounts, reads and payment orders to the other's URL: refused at
    // start (until 7 December 2026 the last of them silently won).
    if (this.connectors.size !== connectors.length) {
      const names = connectors.map((c) => c.name);
      throw new Error(`bank connectors must have distinct names: ${[...new Set(names.filter((name, i) => names.indexOf(name) !== i))].join(', ')} is named twice`);
    }
  }

  private async connectorNames(accountIds: readonly string[]): Promise<Map<string, string>> {
    const now = Date.now();
    const names = new Map<string, string>();
    const missing: string[] = [];
    for (const id of accountIds) {
      const cached = this.routeCache.get(id);
      if (cached && now - cached.at < this.routeTtlMs) names.set(id, cached.connector);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const rows: Array<{ account_id: string; connector: string }> = await this.dataSource.query(
        `SELECT a.account_id, b.connector FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id WHERE a.account_id = ANY($1::text[])`,
        [missing],
      );
      // Bounded: an account directory far larger than the cache just means more reads.
      if (this.routeCache.size > 100_000) this.routeCache.clear();
      for (const row of rows) {
        names.set(row.account_id, row.connector);
        this.routeCache.set(row.account_id, { connector: row.connector, at: now });
      }
    }
    return names;
  }

  /** Groups account ids by connector, in the order asked; accounts of unknown banks or connectors are dropped. */
  private async route(accountIds: readonly string[]): Promise<Route[]> {
    if (accountIds.length === 0) return [];
    const connectorOf = await this.connectorNames(accountIds);
    const routes = new Map<string, Route>();
    for (const id of accountIds) {
      const connector = this.connectors.get(connectorOf.get(id) ?? '');
      if (!connector) continue;
      const route = routes.get(connector.name) ?? { connector, accountIds: [] };
      route.accountIds.push(id);
      routes.set(connector.name, route);
    }
    return [...routes.values()];
  }

  /** Whether a connector of this name is configured here (the worker's and the API's lists may differ). */
  serves(connectorName: string): boolean {
    return this.connectors.has(connectorName);
  }

  /** The connector serving one account; ConnectorUnavailableError when its bank has no connector here. */
  private async connectorOf(accountId: string): Promise<BankConnector | null> {
    const [route] = await this.route([accountId]);
    return route?.connector ?? null;
  }

  private async gather<T extends { accountId: string }>(
    accountIds: readonly string[],
    read: (connector: BankConnector, ids: string[]) => Promise<T[]>,
  ): Promise<Gathered<T>> {
    const routes = await this.route(accountIds);
    const results = await Promise.all(
      routes.map(async (route) => {
        try {
          return { route, items: ownRecords(route.connector.name, route.accountIds, await read(route.connector, route.accountIds)), down: false };
        } catch (error) {
          // Only an unreachable bank is tolerated; anything else is a defect and must surface.
          if (error instanceof ConnectorUnavailableError) return { route, items: [] as T[], down: true };
          throw error;
        }
      }),
    );
    const down = new Set(results.filter((r) => r.down).flatMap((r) => r.route.accountIds));
    const byAccount = new Map<string, T[]>();
    for (const { items } of results) {
      for (const item of items) {
        const list = byAccount.get(item.accountId) ?? [];
        list.push(item);
        byAccount.set(item.accountId, list);
      }
    }
    return {
      items: accountIds.flatMap((id) => byAccount.get(id) ?? []),
      unavailable: accountIds.filter((id) => down.has(id)),
    };
  }

  /**
   * One page of a keyset-paged list, read as a window from each bank and merged: never more than a page
   * (and one record) from each. The page is the one the in-memory pager would cut from the whole list:
   * the first, the one after a key, the one ending before a key, or the final one (what is left after
   * whole pages from the start), with the whole list's page count from the banks' counts.
   */
  private async pageOf<T extends { accountId: string }>(
    accountIds: readonly string[],
    read: (connector: BankConnector, ids: string[], window: ListWindow) => Promise<ListSlice<T>>,
    idOf: (item: T) => string,
    cursor: ListCursor | null,
    pageSize: number,
    /** The platform's own records of these accounts, merged in like one more bank's (PlatformHeldOrders). */
    held?: (ids: string[], window: ListWindow) => Promise<ListSlice<T>>,
  ): Promise<ListPage<T>> {
    const size = Math.max(1, Math.min(pageSize, MAX_PAGE_SIZE));
    const window: ListWindow =
      cursor === null
        ? { direction: 'asc', limit: size + 1 }
        : cursor.kind === 'after'
          ? { direction: 'asc', after: cursor.key, limit: size + 1, position: { key: cursor.key, inclusive: true } }
          : cursor.kind === 'before'
            ? { direction: 'desc', before: cursor.key, limit: size, position: { key: cursor.key, inclusive: false } }
            : { direction: 'desc', limit: size };
    const routes = await this.route(accountIds);
    const answers = await Promise.all(
      routes.map(async (route) => {
        try {
          const slice = await read(route.connector, route.accountIds, window);
          ownRecords(route.connector.name, route.accountIds, slice.items);
          withinWindow(route.connector.name, window, slice, idOf);
          return { route, slice };
        } catch (error) {
          // As in gather: an unreachable bank costs its accounts; anything else surfaces.
          if (error instanceof ConnectorUnavailableError) return { route, slice: null };
          throw error;
        }
      }),
    );
    const down = new Set(answers.filter((a) => a.slice === null).flatMap((a) => a.route.accountIds));
    const slices = answers.flatMap((a) => (a.slice ? [a.slice] : []));
    // Only for accounts a configured bank serves and answered for, as the banks' own records are.
    const served = routes.flatMap((route) => route.accountIds).filter((id) => !down.has(id));
    if (held && served.length > 0) slices.push(await held(served, window));
    const total = slices.reduce((sum, slice) => sum + slice.total, 0);
    const position = slices.reduce((sum, slice) => sum + slice.position, 0);
    const keyed = slices.flatMap((slice) => slice.items.map((item) => ({ item, key: { accountId: item.accountId, id: idOf(item) } })));
    keyed.sort((a, b) => compareKeys(a.key, b.key) * (window.direction === 'asc' ? 1 : -1));
    let page: typeof keyed;
    let start: number;
    if (window.direction === 'asc') {
      page = keyed.slice(0, size);
      start = cursor === null ? 0 : position;
    } else {
      const wanted = cursor?.kind === 'before' ? size : total === 0 ? 0 : ((total - 1) % size) + 1;
      page = keyed.slice(0, wanted).reverse();
      const end = cursor?.kind === 'before' ? position : total;
      start = end - page.length;
    }
    const end = start + page.length;
    return {
      items: page.map((entry) => entry.item),
      nextAfter: end < total && page.length > 0 ? page[page.length - 1]!.key : null,
      prevBefore: start > 0 && page.length > 0 ? page[0]!.key : null,
      totalPages: Math.ceil(total / size),
      unavailable: accountIds.filter((id) => down.has(id)),
    };
  }

  findAccounts(accountIds: readonly string[]): Promise<Gathered<BankAccount>> {
    return this.gather(accountIds, (c, ids) => c.findAccounts(ids));
  }

  listAccounts(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankAccount>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listAccounts(ids, window), (item) => item.accountId, cursor, pageSize);
  }

  listBalances(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankBalance>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listBalances(ids, window), (item) => item.type, cursor, pageSize);
  }

  listBeneficiaries(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankBeneficiary>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listBeneficiaries(ids, window), (item) => item.beneficiaryId, cursor, pageSize);
  }

  listDirectDebits(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankDirectDebit>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listDirectDebits(ids, window), (item) => item.directDebitId, cursor, pageSize);
  }

  listStandingOrders(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankStandingOrder>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listStandingOrders(ids, window), (item) => item.standingOrderId, cursor, pageSize, this.heldOrders && ((ids, window) => this.heldOrders!.listStandingOrders(ids, window)));
  }

  listScheduledPayments(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankScheduledPayment>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listScheduledPayments(ids, window), (item) => item.scheduledPaymentId, cursor, pageSize, this.heldOrders && ((ids, window) => this.heldOrders!.listScheduledPayments(ids, window)));
  }

  listStatements(accountIds: readonly string[], query: StatementQuery, cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankStatement>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listStatements(ids, query, window), (item) => item.statementId, cursor, pageSize);
  }

  listAccountParties(accountIds: readonly string[], query: AccountPartyQuery, cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankAccountParty>> {
    return this.pageOf(
      accountIds,
      async (c, ids, window) => {
        const slice = await c.listAccountParties(ids, query, window);
        // Only the role asked for: a bank answering another role's party would show, say, a beneficiary as
        // the account's owner (until 8 December 2026 it did). An answer outside the question is refused.
        if (query.accountRole !== undefined && slice.items.some((party) => party.accountRole !== query.accountRole)) {
          throw new ConnectorUnavailableError(c.name, `${c.name}: answered parties of a role not asked for`);
        }
        return slice;
      },
      (item) => item.partyId,
      cursor,
      pageSize,
    );
  }

  listProducts(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankProduct>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listProducts(ids, window), (item) => item.productId, cursor, pageSize);
  }

  listOffers(accountIds: readonly string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<BankOffer>> {
    return this.pageOf(accountIds, (c, ids, window) => c.listOffers(ids, window), (item) => item.offerId, cursor, pageSize);
  }

  /** One account's transactions; throws ConnectorUnavailableError when its bank is down. */
  async listTransactions(query: TransactionQuery): Promise<TransactionPage> {
    const connector = await this.connectorOf(query.accountId);
    if (!connector) return EMPTY_TRANSACTION_PAGE;
    const page = await connector.listTransactions(query);
    ownRecords(connector.name, [query.accountId], page.transactions);
    return withinQuery(connector.name, query, page);
  }

  /**
   * Each account's transaction summary (see BankConnector.summarizeTransactions): one read per bank for
   * all its accounts, in parallel. A bank that is down costs its accounts (`unavailable`), as in a bulk list.
   */
  summarizeTransactions(query: TransactionSummaryQuery): Promise<Gathered<TransactionSummary>> {
    return this.gather(query.accountIds, (c, ids) => c.summarizeTransactions({ ...query, accountIds: ids }));
  }

  /**
   * Executes a payment order at the debtor account's bank (see BankConnector.initiatePayment). An
   * account of no bank is rejected as blocked (AC06); a bank that is down throws
   * ConnectorUnavailableError, and the order may be sent again with the same paymentId. So does a bank
   * whose connector this process lacks (HTTP_BANK_CONNECTORS differing between the API and the worker):
   * a configuration fault, not the payment's, so never a final rejection (until 7 December 2026 such a
   * worker rejected that bank's scheduled payments and standing-order runs AC06 for good).
   */
  async initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult> {
    const name = (await this.connectorNames([order.debtorAccountId])).get(order.debtorAccountId);
    if (name === undefined) return { outcome: 'Rejected', reason: 'AC06' };
    const connector = this.connectors.get(name);
    if (!connector) throw new ConnectorUnavailableError(name, `the connector ${name} of the debtor account's bank is not configured here`);
    return connector.initiatePayment(order);
  }

  /** Whether the account's bank confirms the funds now; false for an account no connector here serves. */
  async confirmFunds(accountId: string, amount: string, currency: string): Promise<boolean> {
    const connector = await this.connectorOf(accountId);
    return connector ? connector.confirmFunds(accountId, amount, currency) : false;
  }

  /**
   * The PSU's own party: asked of the bank of the first consented account that knows the PSU. A bank that
   * is down is skipped; when every bank asked is down the error propagates.
   */
  async findPsuParty(psuId: string, accountIds: readonly string[]): Promise<BankParty | null> {
    let lastError: ConnectorUnavailableError | null = null;
    let answered = false;
    for (const route of await this.route(accountIds)) {
      try {
        const party = await route.connector.findPsuParty(psuId, route.accountIds);
        answered = true;
        if (party) return party;
      } catch (error) {
        if (!(error instanceof ConnectorUnavailableError)) throw error;
        lastError = error;
      }
    }
    if (!answered && lastError) throw lastError;
    return null;
  }
}
