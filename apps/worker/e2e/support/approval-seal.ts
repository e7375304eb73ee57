import { approvalOf, PaymentApprovalSeal } from '@consentry/consents';

/** A payment consent row a suite inserts itself, as its PSU approved it. */
export interface ApprovedConsentRow {
  consentId: string;
  clientId: string;
  psuId: string;
  debtorAccountId: string;
  kind: 'domestic-scheduled-payment' | 'domestic-standing-order';
  initiation: Record<string, unknown>;
}

/**
 * The seal the PSU's approval writes on a payment consent (`initiation_hash`), under the worker's
 * SECRETS_KEY: the worker pays an order only while it holds. For a scheduled or standing-order consent,
 * whose terms are its Initiation alone.
 */
export function approvalSealOf(secretsKey: Buffer, consent: ApprovedConsentRow): string {
  const approval = approvalOf({ ...consent, controlParameters: null, creationDateTime: new Date(), expirationDateTime: null });
  return new PaymentApprovalSeal([{ kid: 'default', key: secretsKey }]).seal(approval!);
}
