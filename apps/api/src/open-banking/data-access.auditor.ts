import { recordAuditEvent } from '@consentry/audit';
import type { ConsentAccess } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { TppPrincipal } from '../security/tpp-principal.js';

export type AccessedResource = 'accounts' | 'balances' | 'transactions';

export interface DataAccess {
  resource: AccessedResource;
  principal: TppPrincipal;
  consent: ConsentAccess;
  /** Account ids (opaque ids, never account numbers). */
  accountIds: string[];
  /** Records returned to the TPP. */
  count: number;
  interactionId: string;
}

/**
 * Records each read of account data as a `data.accessed` audit event in the outbox (PSD2 RTS Art. 29:
 * traceability). Written before the data leaves, so no data goes out unaudited.
 */
@Injectable()
export class DataAccessAuditor {
  constructor(private readonly dataSource: DataSource) {}

  async record(access: DataAccess): Promise<void> {
    await recordAuditEvent(this.dataSource.manager, {
      type: 'data.accessed',
      actor: { type: 'tpp', id: access.principal.clientId },
      clientId: access.principal.clientId,
      psuId: access.consent.psuId ?? undefined,
      consentId: access.consent.consentId,
      interactionId: access.interactionId,
      data: { resource: access.resource, accountIds: access.accountIds, count: access.count },
    });
  }
}
