import { approvalOf, PaymentApprovalSeal } from '@consentry/consents';

/** A payment consent row a suite inserts itself, as its PSU approved it. */
export interface ApprovedConsentRow {
  consentId: string;
  clientId: string;
  psuId: string;
  debtorAccountId: string;
  kind: 'domestic-payment' | 'domestic-scheduled-payment' | 'domestic-standing-order' | 'domestic-vrp';
  initiation: Record<string, unknown>;
  /** A VRP consent's ControlParameters and its creation instant, which its terms cover too. */
  vrp?: { controlParameters: Record<string, unknown>; creationDateTime: Date };
}

/**
 * The seal the PSU's approval writes on a payment consent (`initiation_hash`), under the worker's
 * SECRETS_KEY (key id `kid`): the worker pays an order only while it holds. A domestic, scheduled or standing-order
 * consent's terms are its Initiation alone; a VRP consent's add its ControlParameters and creation.
 */
export function approvalSealOf(secretsKey: Buffer, consent: ApprovedConsentRow, kid = 'default'): string {
  const approval = approvalOf({
    ...consent,
    controlParameters: consent.vrp?.controlParameters ?? null,
    creationDateTime: consent.vrp?.creationDateTime ?? new Date(),
    expirationDateTime: null,
  });
  return new PaymentApprovalSeal([{ kid, key: secretsKey }]).seal(approval!);
}
