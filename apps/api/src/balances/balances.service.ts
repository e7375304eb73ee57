import { AggregatedBank, BankBalance } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obAmount, obDateTime, ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadBalance1 */
export type OBReadBalance1 = ObReadResponse<'Balance'>;

function toObBalance(balance: BankBalance): Record<string, unknown> {
  return {
    AccountId: balance.accountId,
    CreditDebitIndicator: balance.creditDebitIndicator,
    Type: balance.type,
    DateTime: obDateTime(balance.dateTime),
    Amount: obAmount(balance.amount, balance.currency),
  };
}

@Injectable()
export class BalancesService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async readBalances(request: ObReadRequest): Promise<OBReadBalance1> {
    return this.responder.respondPage(request, { resource: 'balances', rule: 'balance', dataKey: 'Balance', list: (ids, cursor, size) => this.bank.listBalances(ids, cursor, size), toOb: toObBalance });
  }
}
