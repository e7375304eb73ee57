import type { BankAccount, BankConnector } from '@consentry/banking';
import type { ConsentAccess } from '@consentry/consents';
import { filterAccountByPermissions } from '@consentry/redaction';
import { Inject, Injectable } from '@nestjs/common';

import { BANK_CONNECTOR } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { DataAccessAuditor } from '../open-banking/data-access.auditor.js';
import { ObLinks, ObMeta } from '../open-banking/ob-response.js';
import { TppPrincipal } from '../security/tpp-principal.js';

/** OBReadAccount6 */
export interface OBReadAccount6 {
  Data: { Account: Array<Record<string, unknown>> };
  Links: ObLinks;
  Meta: ObMeta;
}

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

export interface AccountsRequest {
  principal: TppPrincipal;
  consent: ConsentAccess;
  /** One account, or every account of the consent when absent. */
  accountId?: string;
  requestPath: string;
  interactionId: string;
}

@Injectable()
export class AccountsService {
  constructor(
    @Inject(BANK_CONNECTOR) private readonly bank: BankConnector,
    private readonly auditor: DataAccessAuditor,
    private readonly publicUrl: PublicUrl,
  ) {}

  async readAccounts(request: AccountsRequest): Promise<OBReadAccount6> {
    const ids = request.accountId ? [request.accountId] : request.consent.accountIds;
    const accounts = await this.bank.findAccounts(ids);
    const shown = accounts.flatMap<Record<string, unknown>>((account) => filterAccountByPermissions(toObAccount(account), request.consent.permissions) ?? []);
    await this.auditor.record({
      resource: 'accounts',
      principal: request.principal,
      consent: request.consent,
      accountIds: accounts.map((a) => a.accountId),
      count: shown.length,
      interactionId: request.interactionId,
    });
    return { Data: { Account: shown }, Links: { Self: this.publicUrl.of(request.requestPath) }, Meta: { TotalPages: 1 } };
  }
}
