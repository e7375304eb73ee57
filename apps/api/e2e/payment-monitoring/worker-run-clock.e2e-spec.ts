import { setTimeout as sleep } from 'node:timers/promises';

import { AggregatedBank, BankPaymentOrder, BankPaymentResult, SandboxLedgerConnector } from '@consentry/banking';
import { executeDueScheduledPayments } from '@consentry/consents';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { PaymentRiskEngine } from '@consentry/risk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness } from '../support/api-harness.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles, NEW_PAYEE_RULES } from '../support/risk-fixtures.js';

const BANK_DELAY_MS = 40;

/** The sandbox ledger, answering each payment order BANK_DELAY_MS late: a run that takes time. */
class SlowLedger extends SandboxLedgerConnector {
  override async initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult> {
    await sleep(BANK_DELAY_MS);
    return super.initiatePayment(order);
  }
}

/**
 * The worker scores each payment of a run at the run's clock moved on by the time the run has taken, so
 * that a stripe's running totals grow in time order (velocity windows, libs/risk running-totals.ts).
 */
describe('a worker run scores its payments at their own instants', () => {
  let h: ApiHarness;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let fixtures: PaymentFixtures;
  let debtor: PsuAccount | undefined;
  let payee: PsuAccount | undefined;

  beforeAll(async () => {
    files = await riskFiles(NEW_PAYEE_RULES, []);
    h = await ApiHarness.start('worker_run_clock', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1, 'Alice Walker');
    [payee] = await fixtures.accountsOf('bob', 1, 'Bob Okafor');
    await fixtures.setBalance(debtor!.accountId, '1000.00');
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  it('a payment scored after a slow bank answer carries a later time than the one before it (not the run’s start)', async () => {
    // Until 7 December 2026 every payment of a run was scored at the run's start instant.
    const first = await fixtures.scheduledPayment(debtor!, payee!.account, '60.00', '2049-04-01T08:00:00+00:00', 'CLOCK-1');
    const second = await fixtures.scheduledPayment(debtor!, payee!.account, '61.00', '2049-04-01T08:00:00+00:00', 'CLOCK-2');
    const risk = PaymentRiskEngine.load({ rulesFile: files.env.RISK_RULES_FILE!, denyListFile: files.env.RISK_DENY_LIST_FILE! });
    const bank = new AggregatedBank(h.dataSource, [new SlowLedger(h.dataSource, new EnvironmentKeyManagement(h.config.secretsKeys))]);
    const runAt = new Date('2049-04-01T08:00:00Z');
    await executeDueScheduledPayments(h.dataSource, bank, runAt, { approvals: h.approvals(), risk });
    const rows: Array<{ payment_id: string; at: Date }> = await h.dataSource.query(
      `SELECT payment_id, assessed_at AS at FROM payment_risk_assessment WHERE payment_id = ANY($1::text[]) ORDER BY assessed_at`,
      [[first.paymentId, second.paymentId]],
    );
    expect(rows).toHaveLength(2);
    const [earlier, later] = rows as [{ payment_id: string; at: Date }, { payment_id: string; at: Date }];
    expect(earlier.at.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    expect(later.at.getTime() - earlier.at.getTime()).toBeGreaterThanOrEqual(BANK_DELAY_MS);
    // Still the run's clock (the injected instant), not the machine's.
    expect(later.at.getTime() - runAt.getTime()).toBeLessThan(60_000);
  });
});
