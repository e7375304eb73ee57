import { AuditChainWriter } from '@consentry/audit';
import { DataSource } from '@consentry/database';

/**
 * What the worker does with the outbox, in a test without the worker running: every pending event is
 * chained into audit_log by the production chain writer (the same statement that moves it out of the
 * outbox), oldest first, so the admin API reads the log production writes.
 */
export async function relayOutboxToLog(dataSource: DataSource): Promise<number> {
  const writer = new AuditChainWriter(dataSource);
  let chained = 0;
  for (;;) {
    const pending: Array<{ event_id: string }> = await dataSource.query(`SELECT event_id FROM audit_outbox ORDER BY created_seq LIMIT 500`);
    if (pending.length === 0) return chained;
    const result = await writer.appendFromOutbox(pending.map((row) => row.event_id));
    chained += result.chained;
    if (result.chained === 0 && result.duplicates === 0) return chained;
  }
}
