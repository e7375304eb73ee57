import { AuditEventType, recordAuditEvents } from '@consentry/audit';
import { EntityManager, TppRole, TppStatus } from '@consentry/database';

import { TppException, TppExceptionCode } from './tpp.exception.js';

/** What may happen to a registered TPP. */
export type TppLifecycleAction = 'suspend' | 'reinstate' | 'deregister';

/**
 * The TPP lifecycle, the one place it is written down. `Suspended` is an administrator's decision,
 * reversible; `Deregistered` is the TPP deleting its own registration (RFC 7592 section 2.3), final: it
 * registers again as a new client. Only `Active` gets anything from the auth server or the API.
 */
export const TPP_TRANSITIONS: Readonly<Record<TppLifecycleAction, { from: TppStatus; to: TppStatus; event: AuditEventType }>> = {
  suspend: { from: 'Active', to: 'Suspended', event: 'tpp.suspended' },
  reinstate: { from: 'Suspended', to: 'Active', event: 'tpp.reinstated' },
  deregister: { from: 'Active', to: 'Deregistered', event: 'tpp.deregistered' },
};

/** Whether no transition leads out of `status` (Deregistered): a TPP there never gets anything again. */
export function isFinalTppStatus(status: string): boolean {
  return !Object.values(TPP_TRANSITIONS).some((transition) => transition.from === status);
}

/** A TPP as the admin API shows it. */
export interface TppView {
  clientId: string;
  name: string;
  roles: TppRole[];
  status: TppStatus;
  createdAt: string;
}

export interface TppRow {
  client_id: string;
  name: string;
  roles: TppRole[];
  status: TppStatus;
  created_at: Date;
}

export function tppView(row: TppRow): TppView {
  return { clientId: row.client_id, name: row.name, roles: row.roles, status: row.status, createdAt: row.created_at.toISOString() };
}

/**
 * Locks the TPP's row and checks `action` may happen to it; throws NotFound or InvalidStatus. Run inside
 * the transaction that makes the change, so two callers acting at once cannot both succeed.
 */
export async function lockTppFor(manager: EntityManager, clientId: string, action: TppLifecycleAction): Promise<TppRow> {
  const rows: TppRow[] = await manager.query(`SELECT client_id, name, roles, status, created_at FROM tpp WHERE client_id = $1 FOR UPDATE`, [clientId]);
  const row = rows[0];
  if (!row) throw new TppException(TppExceptionCode.NotFound, 'No such TPP');
  const { from, to } = TPP_TRANSITIONS[action];
  if (row.status !== from) throw new TppException(TppExceptionCode.InvalidStatus, `The TPP is ${row.status}; it must be ${from} to become ${to}`);
  return row;
}

/**
 * Moves a locked TPP to the status `action` leads to and records its event, whose data holds `from`,
 * `to` and `details`. `removeRow` deletes the row instead (a deregistered TPP nothing refers to).
 */
export async function applyTppTransition(
  manager: EntityManager,
  row: TppRow,
  action: TppLifecycleAction,
  audit: { actor: { type: 'admin' | 'tpp'; id: string }; interactionId: string; details: Record<string, unknown> },
  removeRow = false,
): Promise<TppRow> {
  const { to, event } = TPP_TRANSITIONS[action];
  if (removeRow) await manager.query(`DELETE FROM tpp WHERE client_id = $1`, [row.client_id]);
  else await manager.query(`UPDATE tpp SET status = $2 WHERE client_id = $1`, [row.client_id, to]);
  await recordAuditEvents(manager, [
    { type: event, actor: audit.actor, clientId: row.client_id, interactionId: audit.interactionId, data: { from: row.status, to, ...audit.details } },
  ]);
  return { ...row, status: to };
}
