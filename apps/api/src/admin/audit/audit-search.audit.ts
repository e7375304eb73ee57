import { recordAuditEvent } from '@consentry/audit';
import { DataSource } from '@consentry/database';

export interface AuditSearchRecord {
  adminId: string;
  interactionId?: string;
  /** The admin API or the admin console. */
  channel: 'api' | 'console';
  /** The filter as given (describeAuditFilter), never the entries found. */
  filter: Record<string, string>;
  /** How many entries the page showed. */
  results: number;
}

/**
 * PCI DSS 10.2.1.3: every access to the audit trail is itself audited. A search or view of the log,
 * through the admin API or the console, records `audit.searched` with its filter and how much it showed,
 * as exports (`audit.exported`) and chain verifications (`audit.verified`) already do.
 */
export async function recordAuditSearch(dataSource: DataSource, search: AuditSearchRecord): Promise<void> {
  await recordAuditEvent(dataSource.manager, {
    type: 'audit.searched',
    actor: { type: 'admin', id: search.adminId },
    interactionId: search.interactionId,
    data: { channel: search.channel, filter: search.filter, results: search.results },
  });
}
