import { recordAuditEvents } from '@consentry/audit';
import type { ApiConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { hasCodePointLength, ObErrorCode, ObErrorException } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { API_CONFIG } from '../api.tokens.js';
import { EventAnnouncements } from './event-announcements.js';
import { MAX_ACKNOWLEDGED, OBEventPolling1Dto } from './event-subscription.dto.js';

export interface OBEventPollingResponse1 {
  moreAvailable: boolean;
  sets: Record<string, string>;
}

// Our jti values are UUIDs: anything else names no event of ours (and must not reach a uuid column).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SetError {
  jti: string;
  err: string;
}

function setErrorsOf(setErrs: Record<string, unknown> | undefined): SetError[] {
  const entries = Object.entries(setErrs ?? {});
  if (entries.length > MAX_ACKNOWLEDGED) throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, `setErrs names more than ${MAX_ACKNOWLEDGED} events`, 'setErrs');
  return entries.map(([jti, value]) => {
    const { err, description } = (value ?? {}) as { err?: unknown; description?: unknown };
    // In code points, as the OB schema (OBEventPolling1) counts them: an emoji is one character.
    const valid = hasCodePointLength(jti, 1, 128) && hasCodePointLength(err, 1, 40) && hasCodePointLength(description, 1, 256);
    if (!valid) throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, 'Each setErrs entry is { err (1-40 characters), description (1-256) }', 'setErrs');
    return { jti, err };
  });
}

/**
 * UK OB aggregated polling: acknowledges what the TPP names (positively in `ack`, negatively in
 * `setErrs`: either way the event is not sent again), then answers the TPP's oldest events neither
 * delivered nor acknowledged, whether or not it has a callback. Only ever the calling TPP's events.
 */
@Injectable()
export class EventPollingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly announcements: EventAnnouncements,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async poll(clientId: string, body: OBEventPolling1Dto, abort: AbortSignal): Promise<OBEventPollingResponse1> {
    const setErrors = setErrorsOf(body.setErrs);
    await this.acknowledge(clientId, body.ack ?? [], setErrors);
    const cap = this.config.eventNotifications.pollMaxEvents;
    const maxEvents = Math.min(body.maxEvents ?? cap, cap);
    if (maxEvents === 0 || body.returnImmediately !== false) return this.pending(clientId, maxEvents);
    // A long poll listens before it looks, so an event announced in between ends its wait.
    const watch = await this.announcements.watch(clientId, abort);
    // The TPP holds as many long polls here as it may: this one answers what is pending, at once.
    if (watch === null) return this.pending(clientId, maxEvents);
    try {
      const answer = await this.pending(clientId, maxEvents);
      if (Object.keys(answer.sets).length > 0) return answer;
      await watch.wait(this.config.eventNotifications.pollWaitMs);
      return await this.pending(clientId, maxEvents);
    } finally {
      watch.stop();
    }
  }

  private async pending(clientId: string, maxEvents: number): Promise<OBEventPollingResponse1> {
    const rows: Array<{ jti: string; set_jwt: string }> = await this.dataSource.query(
      `SELECT jti, set_jwt FROM event_notification
        WHERE client_id = $1 AND delivered_at IS NULL AND acknowledged_at IS NULL
        ORDER BY source_seq, jti LIMIT $2`,
      [clientId, maxEvents + 1],
    );
    return { moreAvailable: rows.length > maxEvents, sets: Object.fromEntries(rows.slice(0, maxEvents).map((row) => [row.jti, row.set_jwt])) };
  }

  private async acknowledge(clientId: string, ack: string[], setErrors: SetError[]): Promise<void> {
    const acknowledged = ack.filter((jti) => UUID.test(jti)).map((jti) => ({ jti, err: null as string | null }));
    const refused = setErrors.filter((e) => UUID.test(e.jti));
    const all = [...acknowledged, ...refused];
    if (all.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ jti: string; event_type: string; ack_error: string | null }> = await manager.query(
        `UPDATE event_notification e SET acknowledged_at = now(), ack_error = x.err
           FROM jsonb_to_recordset($2::jsonb) AS x(jti uuid, err text)
          WHERE e.jti = x.jti AND e.client_id = $1 AND e.delivered_at IS NULL AND e.acknowledged_at IS NULL
          RETURNING e.jti, e.event_type, e.ack_error`,
        [clientId, JSON.stringify(all)],
      ).then((result: [Array<{ jti: string; event_type: string; ack_error: string | null }>, number]) => result[0]);
      await recordAuditEvents(
        manager,
        rows
          .filter((row) => row.ack_error === null)
          .map((row) => ({
            type: 'event.delivered' as const,
            actor: { type: 'tpp' as const, id: clientId },
            clientId,
            data: { jti: row.jti, eventType: row.event_type, via: 'polling' },
          })),
      );
    });
  }
}
