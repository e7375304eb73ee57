import { AuditEventInput, recordAuditEvents } from '@consentry/audit';
import type { ConsentAccess } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { TppPrincipal } from '../security/tpp-principal.js';

export type AccessedResource =
  | 'accounts'
  | 'balances'
  | 'transactions'
  | 'beneficiaries'
  | 'direct-debits'
  | 'standing-orders'
  | 'scheduled-payments'
  | 'statements'
  | 'statement-transactions'
  | 'parties'
  | 'party'
  | 'products'
  | 'offers';

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

interface Pending {
  input: AuditEventInput;
  resolve(): void;
  reject(error: unknown): void;
}

// A batch never grows past this; one INSERT ... unnest of a few hundred rows is still one short statement.
const MAX_BATCH = 500;
// Batches being committed at once. One would tie throughput to a single commit's latency (a slow
// fsync would stall every read); a few keep reads flowing while PostgreSQL merges their WAL flushes.
const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Records each read of account data as a `data.accessed` audit event in the outbox (PSD2 RTS Art. 29:
 * traceability). Written and committed before the data leaves, so no data goes out unaudited.
 *
 * Group commit: each commit waits for a WAL flush, and one flush per read would bound the API by the
 * disk. A lone event is written at once; events that arrive while the batches in flight are being
 * written wait for the next one, which commits them all with one flush. Every caller still waits for
 * its own commit.
 */
@Injectable()
export class DataAccessAuditor {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(private readonly dataSource: DataSource) {}

  record(access: DataAccess): Promise<void> {
    const input: AuditEventInput = {
      type: 'data.accessed',
      actor: { type: 'tpp', id: access.principal.clientId },
      clientId: access.principal.clientId,
      psuId: access.consent.psuId ?? undefined,
      consentId: access.consent.consentId,
      interactionId: access.interactionId,
      data: { resource: access.resource, accountIds: access.accountIds, count: access.count },
    };
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.inFlight < MAX_BATCHES_IN_FLIGHT) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await recordAuditEvents(this.dataSource.manager, batch.map((p) => p.input));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          // The whole batch failed together: none of its reads may be answered with data.
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.inFlight--;
    }
  }
}
