import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CreatePaymentConsent } from '@consentry/consents';
import { SANDBOX_TPP } from '@consentry/sandbox';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';

import { Authorised, GrantJourneys, startGrantJourneys } from '../support/grant-journeys.js';
import { gbpPaymentAccountOf } from '../support/payment-consents.js';

const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Bob’s Gym' };

/**
 * The ID token names the consent the PSU approved (openbanking_intent_id, asked for as essential in the
 * PAR's claims), for every kind of consent, and again when a VRP's or a funds confirmation's grant is
 * refreshed: the TPP checks from it which consent was approved. Until 7 December 2026 only account-access
 * consents were looked up, and payment, VRP and funds-confirmation ID tokens left the claim out.
 */
describe('the ID token names the approved consent, of every kind', () => {
  let p: GrantJourneys;
  beforeAll(async () => {
    p = await startGrantJourneys('id_token_intent');
  });
  afterAll(async () => p?.stop());

  const intentOf = (jwt: string | undefined): unknown => (jwt ? decodeJwt(jwt).openbanking_intent_id : undefined);

  async function fundsConfirmation(): Promise<Authorised> {
    const alice = await gbpPaymentAccountOf(p.fixture.db.dataSource, 'alice');
    const [row] = await p.query<{ identification: string }>(`SELECT identification FROM account WHERE account_id = $1`, [alice]);
    const { consentId } = await new CreatePaymentConsent(p.fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      kind: 'funds-confirmation',
      initiation: { DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: row!.identification } },
      risk: {},
      expirationDateTime: new Date(Date.now() + 86_400_000),
    });
    return p.journey(p.psu('alice'), consentId, 'openid fundsconfirmations', [alice]);
  }

  async function domesticPayment(): Promise<Authorised> {
    const alice = await gbpPaymentAccountOf(p.fixture.db.dataSource, 'alice');
    const { consentId } = await new CreatePaymentConsent(p.fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      kind: 'domestic-payment',
      initiation: { InstructionIdentification: 'I-1', EndToEndIdentification: 'E-1', InstructedAmount: { Amount: '5.00', Currency: 'GBP' }, CreditorAccount: PAYEE },
      risk: {},
    });
    return p.journey(p.psu('alice'), consentId, 'openid payments', [alice]);
  }

  it('for an account-access, a VRP, a funds-confirmation and a domestic payment consent, and after a refresh', async () => {
    const approved = { ais: await p.aisConsent('alice'), vrp: await p.vrpConsent('bob'), cof: await fundsConfirmation(), domestic: await domesticPayment() };
    for (const [kind, a] of Object.entries(approved)) {
      expect({ kind, idToken: intentOf(a.tokens.id_token) }).toEqual({ kind, idToken: a.consentId });
      if (kind === 'domestic') {
        expect(a.tokens.refresh_token).toBeUndefined();
        continue;
      }
      const refreshed = await client.refreshTokenGrant(p.config, a.tokens.refresh_token!, undefined, p.dpop(a));
      expect({ kind, refreshed: intentOf(refreshed.id_token) }).toEqual({ kind, refreshed: a.consentId });
    }
  });
});
