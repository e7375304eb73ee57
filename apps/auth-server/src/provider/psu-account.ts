import { isPaymentConsentId } from '@consentry/consents';
import { DataSource, uuidOrNull } from '@consentry/database';
import { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';

import { OPENBANKING_INTENT_ID } from './openbanking-intent.js';

/**
 * oidc-provider's account lookup: the subject is the PSU id. The openbanking_intent_id claim is
 * released only for a consent (of any kind) this PSU authorised under the grant being used, so a claim request can
 * never make a token name someone else's consent.
 */
export function createFindAccount(dataSource: DataSource): FindAccount {
  return async (ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    const psus: unknown[] = await dataSource.query(`SELECT 1 FROM psu WHERE psu_id = ${uuidOrNull('$1')}`, [sub]);
    if (psus.length === 0) return undefined;
    return {
      accountId: sub,
      async claims(_use, _scope, claims) {
        const requested = claims[OPENBANKING_INTENT_ID];
        const consentId = requested && typeof requested.value === 'string' ? requested.value : undefined;
        if (!consentId) return { sub };
        const grantId = ctx.oidc.entities.Grant?.jti ?? null;
        // A payment, VRP or funds-confirmation consent as an account-access one (until 7 December 2026 their
        // ID tokens left the claim out: only account-access consents were looked up).
        const table = isPaymentConsentId(consentId) ? 'payment_consent' : 'account_access_consent';
        const bound: unknown[] = await dataSource.query(
          `SELECT 1 FROM ${table}
            WHERE consent_id = $1 AND psu_id = ${uuidOrNull('$2::text')} AND status = 'AUTH' AND ($3::text IS NULL OR grant_id = $3)`,
          [consentId, sub, grantId],
        );
        return bound.length > 0 ? { sub, [OPENBANKING_INTENT_ID]: consentId } : { sub };
      },
    };
  };
}
