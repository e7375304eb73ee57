import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

import { approvedTerms, canonicalJson } from './payment-initiation.js';

/** One key of the secrets keyring (structurally @consentry/config's SecretsKey). */
export interface ApprovalSealKey {
  kid: string;
  key: Buffer;
}

/** What a PSU's approval of a payment consent covers: the consent, its TPP, the PSU, the account and the terms. */
export interface PaymentApproval {
  consentId: string;
  clientId: string;
  psuId: string;
  debtorAccountId: string;
  /** approvedTerms: a domestic Initiation; a VRP's ControlParameters with its Initiation and creation; a funds confirmation's Initiation with its end. */
  terms: unknown;
}

/** The approval a stored payment consent claims, or null while it names no PSU or debtor account. */
export function approvalOf(consent: {
  consentId: string;
  clientId: string;
  psuId: string | null;
  debtorAccountId: string | null;
  kind: string;
  initiation: Record<string, unknown>;
  controlParameters: Record<string, unknown> | null;
  creationDateTime: Date;
  expirationDateTime: Date | null;
}): PaymentApproval | null {
  if (!consent.psuId || !consent.debtorAccountId) return null;
  return { consentId: consent.consentId, clientId: consent.clientId, psuId: consent.psuId, debtorAccountId: consent.debtorAccountId, terms: approvedTerms(consent) };
}

const VERSION = 'v1';
const DERIVATION_LABEL = 'consentry/payment-approval/v1';
const KID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Dynamic linking (PSD2 RTS Art. 5): the seal the PSU's approval writes on a payment consent
 * (`initiation_hash`), checked again whenever a payment is made under it, so a consent changed after its
 * approval (amount, payee, control parameters, debtor account, PSU or TPP) cannot be paid.
 *
 * A keyed MAC, not a bare hash: HMAC-SHA-256 over the canonical JSON of the PaymentApproval, under a key
 * derived (HKDF-SHA-256) from a key of the secrets keyring (SECRETS_KEYS), which never sits in the
 * database. Whoever can write the row but does not hold the key cannot re-seal an altered consent. Written
 * as `v1.<kid>.<mac>` under the keyring's first key and checked under the key its kid names, so rotating
 * SECRETS_KEYS leaves earlier approvals valid while their key stays listed; a seal under a key no longer
 * listed, or of an older form, does not hold (the PSU approves again).
 */
export class PaymentApprovalSeal {
  private readonly macKeys: ReadonlyMap<string, Buffer>;
  private readonly writeKid: string;

  constructor(keyring: readonly ApprovalSealKey[]) {
    const first = keyring[0];
    if (!first) throw new Error('PaymentApprovalSeal needs at least one key');
    for (const { kid, key } of keyring) {
      if (!KID.test(kid)) throw new Error(`PaymentApprovalSeal: key id "${kid}" is not 1-32 characters of A-Z, a-z, 0-9, _ or -`);
      if (key.length < 32) throw new Error(`PaymentApprovalSeal needs keys of at least 32 bytes (key ${kid})`);
    }
    this.writeKid = first.kid;
    this.macKeys = new Map(keyring.map(({ kid, key }) => [kid, Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), DERIVATION_LABEL, 32))]));
  }

  /** The id of the key new seals are made under: the keyring's first. */
  get writeKeyId(): string {
    return this.writeKid;
  }

  /** The seal of `approval`, under the keyring's first key. */
  seal(approval: PaymentApproval): string {
    return `${VERSION}.${this.writeKid}.${this.mac(this.macKeys.get(this.writeKid)!, approval).toString('base64url')}`;
  }

  /**
   * The key id `sealed` names when this keyring lacks it, else null: a process not given the key its
   * approvals are now sealed under (SECRETS_KEYS rotated elsewhere first), or a key dropped before the
   * seals under it were made again (`npm run secrets:rotate`). Either is the operator's to fix.
   */
  missingKeyOf(sealed: string | null): string | null {
    if (sealed === null) return null;
    const [version, kid] = sealed.split('.');
    return version === VERSION && kid !== undefined && KID.test(kid) && !this.macKeys.has(kid) ? kid : null;
  }

  /** Whether `sealed` is the seal of exactly `approval`, under a key of the keyring. */
  holds(sealed: string | null, approval: PaymentApproval | null): boolean {
    if (sealed === null || approval === null) return false;
    const [version, kid, mac, ...rest] = sealed.split('.');
    if (version !== VERSION || kid === undefined || mac === undefined || rest.length > 0) return false;
    const key = this.macKeys.get(kid);
    if (!key) return false;
    const expected = this.mac(key, approval);
    const given = Buffer.from(mac, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(key: Buffer, approval: PaymentApproval): Buffer {
    const { consentId, clientId, psuId, debtorAccountId, terms } = approval;
    return createHmac('sha256', key).update(canonicalJson({ clientId, consentId, debtorAccountId, psuId, terms })).digest();
  }
}
