import { AggregatedBank, BankScheduledPayment } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obCreditorAccount } from '../open-banking/ob-mappers.js';
import { obAmount, obDateTime, ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadScheduledPayment3 */
export type OBReadScheduledPayment3 = ObReadResponse<'ScheduledPayment'>;

/** The full OBScheduledPayment3 (Detail); Basic drops the creditor agent and account. */
function toObScheduledPayment(payment: BankScheduledPayment): Record<string, unknown> {
  return {
    AccountId: payment.accountId,
    ScheduledPaymentId: payment.scheduledPaymentId,
    ScheduledPaymentDateTime: obDateTime(payment.scheduledPaymentDateTime),
    ScheduledType: payment.scheduledType,
    ...(payment.reference ? { Reference: payment.reference } : {}),
    ...(payment.debtorReference ? { DebtorReference: payment.debtorReference } : {}),
    InstructedAmount: obAmount(payment.amount, payment.currency),
    CreditorAccount: obCreditorAccount(payment.creditorAccount),
  };
}

@Injectable()
export class ScheduledPaymentsService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async read(request: ObReadRequest): Promise<OBReadScheduledPayment3> {
    return this.responder.respondPage(request, {
      resource: 'scheduled-payments',
      rule: 'scheduledPayment',
      dataKey: 'ScheduledPayment',
      list: (ids, cursor, size) => this.bank.listScheduledPayments(ids, cursor, size),
      toOb: toObScheduledPayment,
    });
  }
}
