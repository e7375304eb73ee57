import { AggregatedBank, BankStandingOrder } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obCreditorAccount } from '../open-banking/ob-mappers.js';
import { obAmount, obDateTime, ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadStandingOrder6 */
export type OBReadStandingOrder6 = ObReadResponse<'StandingOrder'>;

/** The full OBStandingOrder6 (Detail); Basic drops the creditor agent and account. */
function toObStandingOrder(order: BankStandingOrder): Record<string, unknown> {
  const money = (amount: string | null | undefined) => obAmount(amount ?? order.amount, order.currency);
  return {
    AccountId: order.accountId,
    StandingOrderId: order.standingOrderId,
    ...(order.nextPaymentDateTime ? { NextPaymentDateTime: obDateTime(order.nextPaymentDateTime) } : {}),
    ...(order.lastPaymentDateTime ? { LastPaymentDateTime: obDateTime(order.lastPaymentDateTime) } : {}),
    ...(order.numberOfPayments !== null ? { NumberOfPayments: String(order.numberOfPayments) } : {}),
    StandingOrderStatusCode: order.statusCode,
    FirstPaymentAmount: money(order.amounts?.first),
    ...(order.nextPaymentDateTime ? { NextPaymentAmount: money(order.amounts?.next) } : {}),
    ...(order.lastPaymentDateTime ? { LastPaymentAmount: money(order.amounts?.last) } : {}),
    // Where the order has an end: a final date, or a count whose last run's amount the bank gives.
    ...(order.finalPaymentDateTime || order.amounts?.final ? { FinalPaymentAmount: money(order.amounts?.final) } : {}),
    CreditorAccount: obCreditorAccount(order.creditorAccount),
    MandateRelatedInformation: {
      FirstPaymentDateTime: obDateTime(order.firstPaymentDateTime),
      ...(order.finalPaymentDateTime ? { FinalPaymentDateTime: obDateTime(order.finalPaymentDateTime) } : {}),
      Frequency: { Type: order.frequency },
    },
    ...(order.reference ? { RemittanceInformation: { Unstructured: [order.reference] } } : {}),
  };
}

@Injectable()
export class StandingOrdersService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async read(request: ObReadRequest): Promise<OBReadStandingOrder6> {
    return this.responder.respondPage(request, { resource: 'standing-orders', rule: 'standingOrder', dataKey: 'StandingOrder', list: (ids, cursor, size) => this.bank.listStandingOrders(ids, cursor, size), toOb: toObStandingOrder });
  }
}
