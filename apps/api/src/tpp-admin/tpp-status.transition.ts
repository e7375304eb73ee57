import { recordAuditEvent } from '@consentry/audit';
import { DataSource, TppRole, TppStatus } from '@consentry/database';

import { TppAdminException, TppAdminExceptionCode } from './tpp-admin.exception.js';
import { TppStatusCommand } from './tpp-status.command.js';

/** A TPP as the admin API shows it. */
export interface TppView {
  clientId: string;
  name: string;
  roles: TppRole[];
  status: TppStatus;
  createdAt: string;
}

interface TppRow {
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
 * Moves one TPP from `from` to `to` and records `eventType`, in one transaction with the row locked, so
 * two administrators acting at once cannot both succeed and the audit trail never disagrees with the
 * row. The `tpp` trigger notifies the auth server on commit (its client cache forgets the TPP), and the
 * API reads the status on every request: a suspension takes effect on the next call.
 */
export async function transitionTpp(
  dataSource: DataSource,
  command: TppStatusCommand,
  from: TppStatus,
  to: TppStatus,
  eventType: 'tpp.suspended' | 'tpp.reinstated',
): Promise<TppView> {
  return dataSource.transaction(async (manager) => {
    const rows: TppRow[] = await manager.query(`SELECT client_id, name, roles, status, created_at FROM tpp WHERE client_id = $1 FOR UPDATE`, [command.clientId]);
    const row = rows[0];
    if (!row) throw new TppAdminException(TppAdminExceptionCode.NotFound, 'No such TPP');
    if (row.status !== from) throw new TppAdminException(TppAdminExceptionCode.InvalidStatus, `The TPP is ${row.status}; it must be ${from} to become ${to}`);
    await manager.query(`UPDATE tpp SET status = $2 WHERE client_id = $1`, [command.clientId, to]);
    await recordAuditEvent(manager, {
      type: eventType,
      actor: { type: 'admin', id: command.adminId },
      clientId: command.clientId,
      interactionId: command.interactionId,
      data: { from, to, reason: command.reason },
    });
    return tppView({ ...row, status: to });
  });
}
