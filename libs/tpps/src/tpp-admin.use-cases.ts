import { DataSource } from '@consentry/database';

import { applyTppTransition, lockTppFor, TppLifecycleAction, tppView, TppView } from './tpp-lifecycle.js';
import { TppStatusCommand } from './tpp.commands.js';

/**
 * Moves one TPP as an administrator decided and records the event, in one transaction with the row
 * locked, so two administrators acting at once cannot both succeed and the audit trail never disagrees
 * with the row. The `tpp` trigger notifies the auth server on commit (its client cache forgets the TPP),
 * and the API reads the status on every request: the change takes effect on the next call.
 */
function decide(dataSource: DataSource, command: TppStatusCommand, action: TppLifecycleAction): Promise<TppView> {
  return dataSource.transaction(async (manager) => {
    const row = await lockTppFor(manager, command.clientId, action);
    const changed = await applyTppTransition(manager, row, action, {
      actor: { type: 'admin', id: command.adminId },
      interactionId: command.interactionId,
      details: { reason: command.reason },
    });
    return tppView(changed);
  });
}

/**
 * An administrator suspends an Active TPP: from the next request on it gets nothing, neither tokens at
 * the auth server nor data at the API, whatever tokens it holds. Its consents and tokens are kept, so a
 * reinstatement resumes them (rotate its keys first if they may be compromised).
 */
export class SuspendTpp {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: TppStatusCommand): Promise<TppView> {
    return decide(this.dataSource, command, 'suspend');
  }
}

/**
 * An administrator reinstates a Suspended TPP. A Deregistered TPP (it deleted its own registration) is
 * not reinstated: it registers again.
 */
export class ReinstateTpp {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: TppStatusCommand): Promise<TppView> {
    return decide(this.dataSource, command, 'reinstate');
  }
}
