import { AggregatedBank, BankDirectDebit } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obAmount, obDateTime, ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadDirectDebit2 */
export type OBReadDirectDebit2 = ObReadResponse<'DirectDebit'>;

function toObDirectDebit(debit: BankDirectDebit): Record<string, unknown> {
  return {
    AccountId: debit.accountId,
    DirectDebitId: debit.directDebitId,
    DirectDebitStatusCode: debit.statusCode,
    MandateRelatedInformation: { MandateIdentification: debit.mandateIdentification, Frequency: { Type: debit.frequency } },
    Name: debit.name,
    ...(debit.previousPaymentDateTime ? { PreviousPaymentDateTime: obDateTime(debit.previousPaymentDateTime) } : {}),
    ...(debit.previousPaymentAmount ? { PreviousPaymentAmount: obAmount(debit.previousPaymentAmount, debit.currency) } : {}),
  };
}

@Injectable()
export class DirectDebitsService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async read(request: ObReadRequest): Promise<OBReadDirectDebit2> {
    return this.responder.respondPage(request, { resource: 'direct-debits', rule: 'directDebit', dataKey: 'DirectDebit', list: (ids, cursor, size) => this.bank.listDirectDebits(ids, cursor, size), toOb: toObDirectDebit });
  }
}
