import { DataSource } from '@consentry/database';

import {
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
  StatementQuery,
  TransactionPage,
  TransactionQuery,
} from './bank-connector.js';

/** What a bulk read gathered: the records of every reachable bank, and the accounts whose bank was down. */
export interface Gathered<T> {
  items: T[];
  /** Account ids whose connector could not answer, in the order asked. */
  unavailable: string[];
}

interface Route {
  connector: BankConnector;
  accountIds: string[];
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

  constructor(
    private readonly dataSource: DataSource,
    connectors: readonly BankConnector[],
    /**
     * How long an account's bank assignment is remembered. It changes only when an account moves banks
     * (an operator's act); what the TPP may see is decided per request by the consent, never by this.
     */
    private readonly routeTtlMs = 30_000,
  ) {
    this.connectors = new Map(connectors.map((c) => [c.name, c]));
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
          return { route, items: await read(route.connector, route.accountIds), down: false };
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

  findAccounts(accountIds: readonly string[]): Promise<Gathered<BankAccount>> {
    return this.gather(accountIds, (c, ids) => c.findAccounts(ids));
  }

  listBalances(accountIds: readonly string[]): Promise<Gathered<BankBalance>> {
    return this.gather(accountIds, (c, ids) => c.listBalances(ids));
  }

  listBeneficiaries(accountIds: readonly string[]): Promise<Gathered<BankBeneficiary>> {
    return this.gather(accountIds, (c, ids) => c.listBeneficiaries(ids));
  }

  listDirectDebits(accountIds: readonly string[]): Promise<Gathered<BankDirectDebit>> {
    return this.gather(accountIds, (c, ids) => c.listDirectDebits(ids));
  }

  listStandingOrders(accountIds: readonly string[]): Promise<Gathered<BankStandingOrder>> {
    return this.gather(accountIds, (c, ids) => c.listStandingOrders(ids));
  }

  listScheduledPayments(accountIds: readonly string[]): Promise<Gathered<BankScheduledPayment>> {
    return this.gather(accountIds, (c, ids) => c.listScheduledPayments(ids));
  }

  listStatements(query: StatementQuery): Promise<Gathered<BankStatement>> {
    return this.gather(query.accountIds, (c, ids) => c.listStatements({ ...query, accountIds: ids }));
  }

  listAccountParties(accountIds: readonly string[]): Promise<Gathered<BankAccountParty>> {
    return this.gather(accountIds, (c, ids) => c.listAccountParties(ids));
  }

  listProducts(accountIds: readonly string[]): Promise<Gathered<BankProduct>> {
    return this.gather(accountIds, (c, ids) => c.listProducts(ids));
  }

  listOffers(accountIds: readonly string[]): Promise<Gathered<BankOffer>> {
    return this.gather(accountIds, (c, ids) => c.listOffers(ids));
  }

  /** One account's transactions; throws ConnectorUnavailableError when its bank is down. */
  async listTransactions(query: TransactionQuery): Promise<TransactionPage> {
    const connector = await this.connectorOf(query.accountId);
    if (!connector) return EMPTY_TRANSACTION_PAGE;
    return connector.listTransactions(query);
  }

  /**
   * Executes a payment order at the debtor account's bank (see BankConnector.initiatePayment). An
   * account no connector here serves is rejected as blocked (AC06); a bank that is down throws
   * ConnectorUnavailableError, and the order may be sent again with the same paymentId.
   */
  async initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult> {
    const connector = await this.connectorOf(order.debtorAccountId);
    if (!connector) return { outcome: 'Rejected', reason: 'AC06' };
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
