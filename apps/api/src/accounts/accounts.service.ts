import { AggregatedBank, BankAccount } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadAccount6 */
export type OBReadAccount6 = ObReadResponse<'Account'>;

/** The full OBAccount6 of an account; the permission rules then cut it down to what the consent allows. */
export function toObAccount(account: BankAccount): Record<string, unknown> {
  return {
    AccountId: account.accountId,
    Status: account.status,
    Currency: account.currency,
    AccountCategory: account.accountCategory,
    AccountTypeCode: account.accountTypeCode,
    ...(account.description ? { Description: account.description } : {}),
    ...(account.nickname ? { Nickname: account.nickname } : {}),
    // OB v4.0 types OpeningDate as a date-time; the ledger keeps a calendar day.
    ...(account.openingDate ? { OpeningDate: `${account.openingDate}T00:00:00+00:00` } : {}),
    Account: [{ SchemeName: account.schemeName, Identification: account.identification, Name: account.holderName }],
  };
}

@Injectable()
export class AccountsService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async readAccounts(request: ObReadRequest): Promise<OBReadAccount6> {
    return this.responder.respondPage(request, { resource: 'accounts', rule: 'account', dataKey: 'Account', list: (ids, cursor, size) => this.bank.listAccounts(ids, cursor, size), toOb: toObAccount });
  }
}
