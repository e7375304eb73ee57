import { CreatePaymentConsent } from '@consentry/consents';
import { DataSource, JsonObject } from '@consentry/database';
import { SANDBOX_TPP } from '@consentry/sandbox';

/** The PSU's first enabled GBP account with a sort code and account number: one that can pay a GBP consent. */
export async function gbpPaymentAccountOf(dataSource: DataSource, username: string): Promise<string> {
  const [row]: Array<{ account_id: string }> = await dataSource.query(
    `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
      WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' AND a.status = 'Enabled' ORDER BY a.account_id LIMIT 1`,
    [username],
  );
  return row!.account_id;
}

/** A domestic payment consent of the sandbox TPP for 25.00 GBP to `creditorAccount` under `reference` (and `more` of the Initiation), awaiting the PSU. */
export async function createDomesticPaymentConsent(dataSource: DataSource, creditorAccount: JsonObject, reference: string, more: JsonObject = {}): Promise<string> {
  const consent = await new CreatePaymentConsent(dataSource).execute({
    clientId: SANDBOX_TPP.clientId,
    kind: 'domestic-payment',
    initiation: { InstructionIdentification: 'INSTR-1', EndToEndIdentification: reference, InstructedAmount: { Amount: '25.00', Currency: 'GBP' }, CreditorAccount: creditorAccount, ...more },
    risk: {},
    expirationDateTime: null,
  });
  return consent.consentId;
}

/**
 * A VRP consent of the sandbox TPP to `creditorAccount`, awaiting the PSU: payments to someone else, at most
 * 50.00 GBP each and 200.00 GBP a calendar month, for 30 days.
 */
export async function createVrpConsent(dataSource: DataSource, creditorAccount: JsonObject): Promise<string> {
  const validTo = new Date(Date.now() + 30 * 24 * 3600 * 1000);
  const consent = await new CreatePaymentConsent(dataSource).execute({
    clientId: SANDBOX_TPP.clientId,
    kind: 'domestic-vrp',
    initiation: { CreditorAccount: creditorAccount },
    controlParameters: {
      VRPType: ['UK.OBIE.VRPType.Other'],
      PSUAuthenticationMethods: ['UK.OBIE.SCA'],
      ValidToDateTime: validTo.toISOString(),
      MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
      PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
    },
    risk: {},
    expirationDateTime: validTo,
  });
  return consent.consentId;
}
