import { recordAuditEvents } from '@consentry/audit';
import { DataSource } from '@consentry/database';

import { applyTppTransition, lockTppFor } from './tpp-lifecycle.js';
import { DeregisterTppCommand } from './tpp.commands.js';

/**
 * Deprovisions an Active TPP, in one transaction with its row locked. Its grants and tokens go at once
 * (audited as `token.revoked`, counted, never a token value). A TPP that holds consents keeps its row as
 * `Deregistered` (not `Suspended`: that is an administrator's reversible decision), because consents and
 * the audit trail refer to it; one without consents is deleted. Either way `tpp.deregistered` is recorded.
 */
export class DeregisterTpp {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: DeregisterTppCommand): Promise<{ keptForConsents: boolean; revokedCount: number }> {
    const { clientId, interactionId } = command;
    return this.dataSource.transaction(async (manager) => {
      const row = await lockTppFor(manager, clientId, 'deregister');
      const [, revoked]: [unknown, number] = await manager.query(`DELETE FROM oidc_model WHERE payload->>'clientId' = $1`, [clientId]);
      // Consents of every kind refer to it: account-access, and payment, VRP and funds-confirmation ones.
      const consents: unknown[] = await manager.query(
        `SELECT 1 WHERE EXISTS (SELECT 1 FROM account_access_consent WHERE client_id = $1) OR EXISTS (SELECT 1 FROM payment_consent WHERE client_id = $1)`,
        [clientId],
      );
      const keptForConsents = consents.length > 0;
      const actor = { type: 'tpp' as const, id: clientId };
      await applyTppTransition(manager, row, 'deregister', { actor, interactionId, details: { action: 'deregistered', keptForConsents } }, !keptForConsents);
      const revokedCount = revoked ?? 0;
      await recordAuditEvents(manager, [{ type: 'token.revoked', actor, clientId, interactionId, data: { trigger: 'deregistered', revokedCount } }]);
      return { keptForConsents, revokedCount };
    });
  }
}
