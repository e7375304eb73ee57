/**
 * The advisory lock of a VRP consent's releases, as SQL of the consent id's parameter (`$1`). An admin's
 * release of a held VRP under the consent holds it shared from before its decision until the bank's answer
 * is recorded (ReviewHeldPayment.release: two transactions on one connection); a revocation of the consent
 * takes it exclusively before any row lock (RevokePaymentConsent), so the PSU's `204` comes after a payment
 * being released, never between the release's decision and its debit.
 */
export function vrpConsentReleaseLock(consentIdParam: string): string {
  return `hashtextextended('vrp-release:' || ${consentIdParam}::text, 0)`;
}
