import { type BankPaymentOrder, type BankPaymentResult, SandboxLedgerConnector } from '@consentry/banking';

/**
 * A bank whose debit is made and whose caller then dies before it reads the answer: the ledger debits
 * (idempotent on the payment id) and the call throws an error that is not an outage, which rolls the
 * caller's transaction back as a crash would. What the caller committed before the call is all that is
 * left of it.
 */
export class DyingBank extends SandboxLedgerConnector {
  override async initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult> {
    await super.initiatePayment(order);
    throw new Error('the worker died while its bank answered');
  }
}
