import type { BankBalance, BankConnector } from '@consentry/banking';
import type { ConsentAccess } from '@consentry/consents';
import { filterBalanceByPermissions } from '@consentry/redaction';
import { Inject, Injectable } from '@nestjs/common';

import { BANK_CONNECTOR } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { DataAccessAuditor } from '../open-banking/data-access.auditor.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { TppPrincipal } from '../security/tpp-principal.js';

/** OBReadBalance1 */
export interface OBReadBalance1 {
  Data: { Balance: Array<Record<string, unknown>> };
  Links: ObLinks;
  Meta: ObMeta;
}

function toObBalance(balance: BankBalance): Record<string, unknown> {
  return {
    AccountId: balance.accountId,
    CreditDebitIndicator: balance.creditDebitIndicator,
    Type: balance.type,
    DateTime: obDateTime(balance.dateTime),
    Amount: { Amount: balance.amount, Currency: balance.currency },
  };
}

export interface BalancesRequest {
  principal: TppPrincipal;
  consent: ConsentAccess;
  accountId?: string;
  requestPath: string;
  interactionId: string;
}

@Injectable()
export class BalancesService {
  constructor(
    @Inject(BANK_CONNECTOR) private readonly bank: BankConnector,
    private readonly auditor: DataAccessAuditor,
    private readonly publicUrl: PublicUrl,
  ) {}

  async readBalances(request: BalancesRequest): Promise<OBReadBalance1> {
    const ids = request.accountId ? [request.accountId] : request.consent.accountIds;
    const balances = await this.bank.listBalances(ids);
    const shown = balances.flatMap<Record<string, unknown>>((balance) => filterBalanceByPermissions(toObBalance(balance), request.consent.permissions) ?? []);
    await this.auditor.record({
      resource: 'balances',
      principal: request.principal,
      consent: request.consent,
      accountIds: [...new Set(balances.map((b) => b.accountId))],
      count: shown.length,
      interactionId: request.interactionId,
    });
    return { Data: { Balance: shown }, Links: { Self: this.publicUrl.of(request.requestPath) }, Meta: { TotalPages: 1 } };
  }
}
