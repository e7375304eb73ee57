import { AuthorisePaymentConsent } from '@consentry/consents';

import type { ObScope } from '../../src/security/tpp-scopes.js';

import { ApiHarness, CallResult, jsonString } from './api-harness.js';

/** An OB account as a payment names it (a payee, a debtor). */
export interface ObAccount {
  SchemeName: string;
  Identification: string;
  Name: string;
}

/** One of a sandbox PSU's accounts: its ledger id and how a payment names it. */
export interface PsuAccount {
  accountId: string;
  account: ObAccount;
}

/**
 * What the payment suites (PIS, VRP, CoF) set up the same way: the sandbox PSUs' GBP sort-code accounts,
 * balances, and a consent approved as the auth server's approval page approves it.
 */
export class PaymentFixtures {
  constructor(private readonly h: ApiHarness) {}

  /** `username`'s first `count` GBP sort-code accounts, in account-id order, named `name`. */
  async accountsOf(username: string, count = 1, name = username): Promise<PsuAccount[]> {
    const rows: Array<{ account_id: string; identification: string }> = await this.h.dataSource.query(
      `SELECT a.account_id, a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber'
        ORDER BY a.account_id LIMIT $2`,
      [username, count],
    );
    if (rows.length < count) throw new Error(`${username} has ${rows.length} GBP sort-code accounts, not ${count}`);
    return rows.map((row) => ({ accountId: row.account_id, account: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: row.identification, Name: name } }));
  }

  /** Sets every balance of the account to `amount` in credit, and its overdraft limit. */
  async setBalance(accountId: string, amount: string, overdraft = '0'): Promise<void> {
    await this.h.dataSource.query(`UPDATE balance SET amount = $2, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [accountId, amount]);
    await this.h.dataSource.query(`UPDATE account SET overdraft_limit = $2 WHERE account_id = $1`, [accountId, overdraft]);
  }

  /** The account's InterimAvailable balance, signed, as PostgreSQL's text of the numeric. */
  async available(accountId: string): Promise<string> {
    const [row] = await this.h.dataSource.query(
      `SELECT (CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`,
      [accountId],
    );
    return jsonString(row.amount);
  }

  /**
   * A payment consent the TPP created (`created`, a 201), approved by `username` for `debtorAccountId`
   * as the approval page does; with the PSU's token for it.
   */
  async approve(created: CallResult, debtorAccountId: string, scope: ObScope, username = 'alice'): Promise<{ consentId: string; psuToken: string }> {
    if (created.status !== 201) throw new Error(`consent creation failed: ${created.status} ${JSON.stringify(created.body)}`);
    const consentId = jsonString(created.body.Data.ConsentId);
    await new AuthorisePaymentConsent(this.h.dataSource).execute({
      consentId,
      clientId: this.h.clientId,
      psuId: await this.h.psuId(username),
      debtorAccountId,
      grantId: `grant-${consentId}`,
    });
    return { consentId, psuToken: await this.h.consentToken(consentId, { scope }) };
  }
}
