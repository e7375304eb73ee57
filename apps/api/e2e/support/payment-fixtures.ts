import { AuthorisePaymentConsent, PaymentApprovalSeal } from '@consentry/consents';

import type { ObScope } from '../../src/security/tpp-scopes.js';
import { ApiHarness, CallResult, jsonString } from './api-harness.js';

const PISP = '/open-banking/v4.0/pisp';
const CBPII = '/open-banking/v4.0/cbpii';

/** An OB account as a TPP names it in a request (a payee, a debtor). */
export interface ObAccount {
  SchemeName: string;
  Identification: string;
  Name: string;
}

/** One of a sandbox PSU's GBP sort-code accounts: its ledger id and how a TPP names it (the full number: tests look for it in answers). */
export interface PsuAccount {
  accountId: string;
  account: ObAccount;
}

/** A PsuAccount as the dashboard names it too. */
export interface ListedAccount extends PsuAccount {
  /** Nickname and bank. */
  shownAs: { name: string; bank: string };
}

/**
 * A VRP consent request to `payee`: at most 50.00 GBP a payment and 200.00 GBP a calendar month, unless
 * `controlParameters` says otherwise.
 */
export function vrpConsentBody(payee: ObAccount, controlParameters: { [member: string]: unknown } = {}): { [member: string]: unknown } {
  return {
    Data: {
      ControlParameters: {
        VRPType: ['UK.OBIE.VRPType.Other'],
        PSUAuthenticationMethods: ['UK.OBIE.SCA'],
        MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
        PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
        ...controlParameters,
      },
      Initiation: { CreditorAccount: payee },
    },
    Risk: {},
  };
}

/**
 * What the payment suites (PIS, VRP, CoF, and the people's listings) set up the same way: the sandbox
 * PSUs' accounts and balances, payment consents authorised as the approval pages do, and payments under
 * them, all through the API with the sandbox TPP's signed requests.
 */
export class PaymentFixtures {
  private constructor(
    private readonly h: ApiHarness,
    private readonly paymentsToken: string,
    private readonly fundsToken: string,
  ) {}

  static async of(h: ApiHarness): Promise<PaymentFixtures> {
    return new PaymentFixtures(h, await h.clientCredentialsToken({ scope: 'payments' }), await h.clientCredentialsToken({ scope: 'fundsconfirmations' }));
  }

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

  /** A PSU's first GBP sort-code account as the dashboard shows it, with a balance large enough for every test payment. */
  async gbpAccount(username: string, name: string): Promise<ListedAccount> {
    const [account] = await this.accountsOf(username, 1, name);
    const [row] = await this.h.dataSource.query(
      `SELECT coalesce(a.nickname, a.description, a.account_type_code) AS name, b.name AS bank
         FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id WHERE a.account_id = $1`,
      [account!.accountId],
    );
    await this.setBalance(account!.accountId, '10000.00');
    return { ...account!, shownAs: { name: row.name, bank: row.bank } };
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
    await new AuthorisePaymentConsent(this.h.dataSource, new PaymentApprovalSeal(this.h.config.secretsKeys), this.h.config.consentAwaitingMaxAgeSeconds).execute({
      consentId,
      clientId: this.h.clientId,
      psuId: await this.h.psuId(username),
      debtorAccountId,
      grantId: `grant-${consentId}`,
    });
    return { consentId, psuToken: await this.h.consentToken(consentId, { scope }) };
  }

  /** An authorised VRP consent to `payee`, with vrpConsentBody's control parameters but those `controlParameters` gives. */
  async vrpConsent(username: string, debtor: PsuAccount, payee: ObAccount, controlParameters: { [member: string]: unknown } = {}): Promise<{ consentId: string; psuToken: string }> {
    const created = await this.h.signedPost(`${PISP}/domestic-vrp-consents`, { token: this.paymentsToken, body: vrpConsentBody(payee, controlParameters) });
    return this.approve(created, debtor.accountId, 'payments', username);
  }

  /** A VRP under `consentId`, under `idempotencyKey` if given (else a fresh one). */
  vrp(psuToken: string, consentId: string, payee: ObAccount, amount: string, reference: string, idempotencyKey?: string): Promise<CallResult> {
    return this.h.signedPost(`${PISP}/domestic-vrps`, {
      token: psuToken,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      body: {
        Data: {
          ConsentId: consentId,
          PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
          VRPType: 'UK.OBIE.VRPType.Other',
          Initiation: { CreditorAccount: payee },
          Instruction: { InstructionIdentification: `I-${reference}`, EndToEndIdentification: reference, InstructedAmount: { Amount: amount, Currency: 'GBP' }, CreditorAccount: payee },
        },
        Risk: {},
      },
    });
  }

  /** A domestic payment consent for `amount` to `payee`, authorised and paid; returns the consent and payment ids. */
  async paidDomesticPayment(username: string, debtor: PsuAccount, payee: ObAccount, amount: string): Promise<{ consentId: string; paymentId: string }> {
    const { consentId, paid } = await this.domesticPayment(username, debtor, payee, amount);
    if (paid.status !== 201) throw new Error(`domestic payment failed: ${paid.status} ${JSON.stringify(paid.body)}`);
    return { consentId, paymentId: jsonString(paid.body.Data.DomesticPaymentId) };
  }

  /** A domestic payment consent for `amount` to `payee`, authorised, and the answer to its payment order (whatever it is). */
  async domesticPayment(username: string, debtor: PsuAccount, payee: ObAccount, amount: string, reference = `E2E-${amount}`): Promise<{ consentId: string; psuToken: string; paid: CallResult }> {
    const approved = await this.domesticPaymentConsent(username, debtor, payee, amount, reference);
    return { ...approved, paid: await approved.pay() };
  }

  /** An authorised domestic payment consent for `amount` to `payee`, and its payment order, to send when the test chooses. */
  async domesticPaymentConsent(
    username: string,
    debtor: PsuAccount,
    payee: ObAccount,
    amount: string,
    reference: string,
  ): Promise<{ consentId: string; psuToken: string; pay: () => Promise<CallResult> }> {
    const initiation = {
      InstructionIdentification: `INSTR-${reference}`,
      EndToEndIdentification: reference,
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: payee,
    };
    const created = await this.h.signedPost(`${PISP}/domestic-payment-consents`, { token: this.paymentsToken, body: { Data: { Initiation: initiation }, Risk: {} } });
    const { consentId, psuToken } = await this.approve(created, debtor.accountId, 'payments', username);
    const pay = () => this.h.signedPost(`${PISP}/domestic-payments`, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation }, Risk: {} } });
    return { consentId, psuToken, pay };
  }

  /**
   * A weekly standing order of `runs` runs of `amount` to `payee` from `firstRunAt` (ISO, +00:00), the
   * recurring and final runs of their own amounts when `later` gives them, consented, approved by alice on
   * `debtor` and ordered; returns the consent and the order ids.
   */
  async weeklyStandingOrder(
    debtor: PsuAccount,
    payee: ObAccount,
    amount: string,
    firstRunAt: string,
    /** How many runs (NumberOfPayments), or the FinalPaymentDateTime the runs end on or before. */
    runs: number | { finalAt: string } = 2,
    later: { recurring?: string; final?: string } = {},
  ): Promise<{ consentId: string; orderId: string }> {
    const initiation = {
      ...(typeof runs === 'number' ? { NumberOfPayments: String(runs) } : {}),
      FirstPaymentAmount: { Amount: amount, Currency: 'GBP' },
      ...(later.recurring ? { RecurringPaymentAmount: { Amount: later.recurring, Currency: 'GBP' } } : {}),
      ...(later.final ? { FinalPaymentAmount: { Amount: later.final, Currency: 'GBP' } } : {}),
      CreditorAccount: payee,
      MandateRelatedInformation: {
        Frequency: { Type: 'WEEK' },
        FirstPaymentDateTime: firstRunAt,
        ...(typeof runs === 'number' ? {} : { FinalPaymentDateTime: runs.finalAt }),
      },
    };
    const created = await this.h.signedPost(`${PISP}/domestic-standing-order-consents`, { token: this.paymentsToken, body: { Data: { Permission: 'Create', Initiation: initiation }, Risk: {} } });
    const { consentId, psuToken } = await this.approve(created, debtor.accountId, 'payments');
    const ordered = await this.h.signedPost(`${PISP}/domestic-standing-orders`, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation }, Risk: {} } });
    if (ordered.status !== 201) throw new Error(`standing order refused: ${ordered.status} ${JSON.stringify(ordered.body)}`);
    return { consentId, orderId: jsonString(ordered.body.Data.DomesticStandingOrderId) };
  }

  /**
   * A scheduled payment of `amount` to `payee` on `runAt` (ISO, +00:00), consented, approved by alice on
   * `debtor` and ordered (PDNG until the worker runs it); returns the consent and the payment ids.
   */
  async scheduledPayment(debtor: PsuAccount, payee: ObAccount, amount: string, runAt: string, reference = `SCHED-${amount}`): Promise<{ consentId: string; paymentId: string }> {
    const initiation = {
      InstructionIdentification: `I-${reference}`,
      EndToEndIdentification: reference,
      RequestedExecutionDateTime: runAt,
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: payee,
    };
    const created = await this.h.signedPost(`${PISP}/domestic-scheduled-payment-consents`, { token: this.paymentsToken, body: { Data: { Permission: 'Create', Initiation: initiation }, Risk: {} } });
    const { consentId, psuToken } = await this.approve(created, debtor.accountId, 'payments');
    const ordered = await this.h.signedPost(`${PISP}/domestic-scheduled-payments`, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation }, Risk: {} } });
    if (ordered.status !== 201) throw new Error(`scheduled payment refused: ${ordered.status} ${JSON.stringify(ordered.body)}`);
    return { consentId, paymentId: jsonString(ordered.body.Data.DomesticScheduledPaymentId) };
  }

  /** An authorised funds-confirmation consent on the PSU's account. */
  async fundsConfirmationConsent(username: string, debtor: PsuAccount): Promise<{ consentId: string; psuToken: string }> {
    const created = await this.h.tpp('POST', `${CBPII}/funds-confirmation-consents`, {
      token: this.fundsToken,
      body: { Data: { DebtorAccount: { SchemeName: debtor.account.SchemeName, Identification: debtor.account.Identification, Name: debtor.account.Name } } },
    });
    return this.approve(created, debtor.accountId, 'fundsconfirmations', username);
  }
}
