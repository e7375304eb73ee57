import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';

/** Amounts are whole pence here, so sums are exact; the API sees them as OB decimals. */
const decimal = (pence: number) => (pence / 100).toFixed(2);
const pence = (amount: string) => Math.round(Number(amount) * 100);

interface VrpLimits {
  maximumPence: number;
  periodPence: number;
}

type Order = { kind: 'domestic'; pence: number } | { kind: 'vrp'; consent: number; pence: number };

const scenario = fc.record({
  availablePence: fc.integer({ min: 0, max: 30_000 }),
  overdraftPence: fc.integer({ min: 0, max: 5_000 }),
  vrpConsents: fc.array(fc.record({ maximumPence: fc.integer({ min: 1_000, max: 6_000 }), periodPence: fc.integer({ min: 2_000, max: 15_000 }) }), { minLength: 1, maxLength: 2 }),
  orders: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('domestic' as const), pence: fc.integer({ min: 1, max: 9_000 }) }),
      fc.record({ kind: fc.constant('vrp' as const), consent: fc.nat({ max: 1 }), pence: fc.integer({ min: 1, max: 8_000 }) }),
    ),
    { minLength: 3, maxLength: 12 },
  ),
});

/**
 * The property of issue 12: whatever the mix and order of concurrent domestic payments and VRPs on one
 * account, the account never goes below its overdraft limit, no VRP consent passes its control
 * parameters, the ledger holds exactly the accepted payments, and AIS shows the ledger's balance.
 * Every order is sent at once, through the whole API path (token, signature, idempotency, consent).
 */
describe('concurrent domestic payments and VRPs on one account', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let payee: ObAccount;
  let aisToken: string;

  beforeAll(async () => {
    h = await ApiHarness.start('payment_interleavings');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ account: payee }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
    aisToken = await h.consentToken(await h.authorisedConsent(['ReadBalances'], 'alice', [debtor]));
  });
  afterAll(async () => h?.stop());

  function domesticInitiation(amountPence: number, reference: string) {
    return {
      InstructionIdentification: `I-${reference}`,
      EndToEndIdentification: reference,
      InstructedAmount: { Amount: decimal(amountPence), Currency: 'GBP' },
      CreditorAccount: payee,
    };
  }

  async function domesticConsent(amountPence: number, reference: string): Promise<{ consentId: string; psuToken: string }> {
    const created = await h.signedPost(`${PISP}/domestic-payment-consents`, { token: cc, body: { Data: { Initiation: domesticInitiation(amountPence, reference) }, Risk: {} } });
    return fixtures.approve(created, debtor, 'payments');
  }

  async function vrpConsent(limits: VrpLimits): Promise<{ consentId: string; psuToken: string }> {
    const body = {
      Data: {
        ControlParameters: {
          VRPType: ['UK.OBIE.VRPType.Other'],
          PSUAuthenticationMethods: ['UK.OBIE.SCA'],
          MaximumIndividualAmount: { Amount: decimal(limits.maximumPence), Currency: 'GBP' },
          // Aligned to the consent, so a run never straddles a calendar boundary.
          PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Consent', Amount: decimal(limits.periodPence), Currency: 'GBP' }],
        },
        Initiation: { CreditorAccount: payee },
      },
      Risk: {},
    };
    return fixtures.approve(await h.signedPost(`${PISP}/domestic-vrp-consents`, { token: cc, body }), debtor, 'payments');
  }

  function vrp(consent: { consentId: string; psuToken: string }, amountPence: number, reference: string): Promise<CallResult> {
    const body = {
      Data: {
        ConsentId: consent.consentId,
        PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
        PSUInteractionType: 'OffSession',
        VRPType: 'UK.OBIE.VRPType.Other',
        Initiation: { CreditorAccount: payee },
        Instruction: { InstructionIdentification: `I-${reference}`, EndToEndIdentification: reference, InstructedAmount: { Amount: decimal(amountPence), Currency: 'GBP' }, CreditorAccount: payee },
      },
      Risk: {},
    };
    return h.signedPost(`${PISP}/domestic-vrps`, { token: consent.psuToken, body });
  }

  async function aisAvailablePence(): Promise<number> {
    const result = await h.tpp('GET', `${AISP}/accounts/${debtor}/balances`, { token: aisToken });
    expect(result.status).toBe(200);
    const interim = result.body.Data.Balance.find((balance) => String(balance.Type) === 'ITAV');
    if (!interim) throw new Error('no InterimAvailable balance');
    const amount = pence(jsonString(interim.Amount.Amount));
    return jsonString(interim.CreditDebitIndicator) === 'Debit' ? -amount : amount;
  }

  it('never overdraws the account, never passes a control parameter, and books exactly what it accepts', async () => {
    let run = 0;
    // What the runs exercised: the property means little if no run ever hit a limit.
    const seen = { accepted: 0, insufficientFunds: 0, controlParameters: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, async ({ availablePence, overdraftPence, vrpConsents, orders }) => {
        run += 1;
        await fixtures.setBalance(debtor, decimal(availablePence), decimal(overdraftPence));
        const vrpLimits = vrpConsents;
        const vrpTokens = await Promise.all(vrpLimits.map((limits) => vrpConsent(limits)));
        // Each domestic order has its consent, staged and approved before the burst.
        const prepared = await Promise.all(
          orders.map(async (order: Order, n) => {
            const reference = `R${run}-${n}`;
            if (order.kind === 'domestic') return { order, reference, consent: await domesticConsent(order.pence, reference) };
            return { order, reference, consent: vrpTokens[Math.min(order.consent, vrpTokens.length - 1)]! };
          }),
        );

        const answers = await Promise.all(
          prepared.map(({ order, reference, consent }) =>
            order.kind === 'domestic'
              ? h.signedPost(`${PISP}/domestic-payments`, { token: consent.psuToken, body: { Data: { ConsentId: consent.consentId, Initiation: domesticInitiation(order.pence, reference) }, Risk: {} } })
              : vrp(consent, order.pence, reference),
          ),
        );

        let acceptedPence = 0;
        const accepted: string[] = [];
        const rejected: string[] = [];
        const perVrpConsent = new Map<string, number>();
        answers.forEach((answer, n) => {
          const { order, consent } = prepared[n]!;
          if (answer.status === 400) {
            // Only a VRP is refused outright, and only by its control parameters.
            expect(order.kind).toBe('vrp');
            expect(answer.body.Errors[0].ErrorCode).toBe('U014');
            seen.controlParameters += 1;
            return;
          }
          expect(answer.status, JSON.stringify(answer.body)).toBe(201);
          const status = jsonString(answer.body.Data.Status);
          const id = jsonString(order.kind === 'domestic' ? answer.body.Data.DomesticPaymentId : answer.body.Data.DomesticVRPId);
          if (status === 'RJCT') {
            expect(answer.body.Data.StatusReason[0].StatusReasonCode).toBe('AM04');
            rejected.push(id);
            seen.insufficientFunds += 1;
            return;
          }
          expect(status).toBe('ACSP');
          accepted.push(id);
          seen.accepted += 1;
          acceptedPence += order.pence;
          if (order.kind === 'vrp') {
            const limits = vrpLimits[vrpTokens.indexOf(consent)]!;
            expect(order.pence).toBeLessThanOrEqual(limits.maximumPence);
            perVrpConsent.set(consent.consentId, (perVrpConsent.get(consent.consentId) ?? 0) + order.pence);
          }
        });

        // No VRP consent passed its periodic limit (refused and rejected VRPs do not count).
        vrpTokens.forEach((consent, index) => expect(perVrpConsent.get(consent.consentId) ?? 0).toBeLessThanOrEqual(vrpLimits[index]!.periodPence));

        // The account: never below its overdraft limit, lower by exactly what was accepted.
        const finalPence = pence(await fixtures.available(debtor));
        expect(finalPence).toBeGreaterThanOrEqual(-overdraftPence);
        expect(availablePence - finalPence).toBe(acceptedPence);

        // The ledger books each accepted payment once and nothing for a rejected one.
        const [booked] = await h.dataSource.query(
          `SELECT count(*)::int AS n, coalesce(sum(amount), 0)::text AS total FROM transaction WHERE account_id = $1 AND transaction_id = ANY($2)`,
          [debtor, [...accepted, ...rejected]],
        );
        expect(booked.n).toBe(accepted.length);
        expect(pence(booked.total)).toBe(acceptedPence);

        // And AIS shows the ledger's balance.
        expect(await aisAvailablePence()).toBe(finalPence);
      }),
      { numRuns: 25, endOnFailure: true },
    );
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.insufficientFunds).toBeGreaterThan(0);
    expect(seen.controlParameters).toBeGreaterThan(0);
  });
});
