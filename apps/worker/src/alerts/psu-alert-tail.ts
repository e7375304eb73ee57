import { createHash } from 'node:crypto';

import { ALERT_SOURCE_EVENT_TYPES, AlertChannel, AlertDraft, DEFAULT_ALERT_PREFERENCES, deriveAlert, FAILED_SIGN_INS_WINDOW_MINUTES, PublishedAlert } from '@consentry/alerts';
import { recordAuditEvents } from '@consentry/audit';
import type { AuditActorType, AuditEventType } from '@consentry/audit';
import { DataSource, uuidOrNull } from '@consentry/database';

import { ALERT_CURSOR_NAME } from './psu-alerts.jobs.js';

interface SourceRow {
  seq: string;
  event_id: string;
  event_type: AuditEventType;
  occurred_at: Date;
  actor_type: AuditActorType;
  psu_id: string;
  client_id: string | null;
  consent_id: string | null;
  data: Record<string, unknown> | null;
  app_name: string | null;
  channels: AlertChannel[] | null;
  payment_threshold: string | null;
  has_email: boolean;
  failed_in_window: number;
  /** For psu.login.failed: when the event of this PSU's last 'failed-sign-ins' alert before this one happened. */
  failed_alerted_at: Date | null;
}

// One read per batch: the source entries after the cursor with, per entry, what the catalogue needs
// (the app's name, the PSU's preferences, its failed sign-ins in the window up to this one).
const READ_SOURCES = `
  SELECT a.seq::text AS seq, a.event_id, a.event_type, a.occurred_at, a.event->'actor'->>'type' AS actor_type,
         a.psu_id, a.client_id, a.consent_id, a.event->'data' AS data, t.name AS app_name,
         pref.channels, pref.payment_threshold::text AS payment_threshold, (p.email IS NOT NULL) AS has_email,
         CASE WHEN a.event_type = 'psu.login.failed' THEN (
           SELECT count(*)::int FROM audit_log f
            WHERE f.psu_id = a.psu_id AND f.event_type = 'psu.login.failed'
              AND f.occurred_at > a.occurred_at - make_interval(mins => $4) AND f.seq <= a.seq
         ) ELSE 0 END AS failed_in_window,
         CASE WHEN a.event_type = 'psu.login.failed' THEN (
           SELECT max(s.occurred_at) FROM psu_alert pa JOIN audit_log s ON s.seq = pa.source_seq
            WHERE pa.psu_id = p.psu_id AND pa.kind = 'failed-sign-ins' AND pa.source_seq < a.seq
         ) END AS failed_alerted_at
    FROM audit_log a
    JOIN psu p ON p.psu_id = ${uuidOrNull('a.psu_id')}
    LEFT JOIN tpp t ON t.client_id = a.client_id
    LEFT JOIN psu_alert_preference pref ON pref.psu_id = p.psu_id
   WHERE a.seq > $1 AND a.seq <= $2 AND a.event_type = ANY($3::text[])
   ORDER BY a.seq`;

const INSERT_ALERTS = `
  INSERT INTO psu_alert (alert_id, psu_id, kind, source_event_id, source_seq, client_id, consent_id, title, body)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
  ON CONFLICT (source_event_id, kind) DO NOTHING
  RETURNING alert_id, psu_id, kind, title, body, created_at, source_event_id`;

/** An alert's id follows from its source event and kind, so a re-run names it (and its email job) the same. */
export function alertIdFor(sourceEventId: string, kind: string): string {
  const hex = createHash('sha256').update(`${sourceEventId}:${kind}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface AlertTailResult {
  /** Alerts written by this batch (none that an earlier run wrote). */
  recorded: PublishedAlert[];
  /**
   * Of those, the ones for the dashboards' live streams: of PSUs whose channels hold `dashboard` (the list
   * keeps every alert; until 8 December 2026 a PSU who turned the channel off was streamed them all the same).
   */
  toPublish: PublishedAlert[];
  /** Alerts of this batch to email: written now or before (a re-run after a crash re-enqueues; the job id dedupes). */
  toEmail: string[];
  /** The cursor after this batch. */
  cursor: string;
  /** Whether the batch was full (more may follow at once). */
  full: boolean;
}

interface Draft extends AlertDraft {
  alertId: string;
  sourceEventId: string;
  seq: string;
  clientId: string | null;
  consentId: string | null;
  email: boolean;
  live: boolean;
}

/**
 * One batch of the alert tail, in one transaction: reads the audit entries after the cursor, derives
 * their alerts through the catalogue, writes those not yet written with their `alert.recorded` events,
 * moves the cursor. `beforeCommit` enqueues the emails while the cursor row is still locked, so a crash
 * before commit re-runs the batch and re-enqueues the same job ids rather than losing them.
 */
export async function tailAuditLogForAlerts(
  dataSource: DataSource,
  batchSize: number,
  beforeCommit: (toEmail: string[]) => Promise<void>,
): Promise<AlertTailResult> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`INSERT INTO alert_cursor (name, last_seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [ALERT_CURSOR_NAME]);
    const [cursorRow]: { last_seq: string }[] = await manager.query(`SELECT last_seq::text AS last_seq FROM alert_cursor WHERE name = $1 FOR UPDATE`, [ALERT_CURSOR_NAME]);
    const from = cursorRow!.last_seq;
    // The window's upper end is found over every type (an index-only walk of the primary key), so the
    // cursor moves past entries that make no alert too.
    const [upper]: { seq: string | null; entries: number }[] = await manager.query(
      `SELECT max(seq)::text AS seq, count(*)::int AS entries FROM (SELECT seq FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2) batch`,
      [from, batchSize],
    );
    if (upper!.seq === null) return { recorded: [], toPublish: [], toEmail: [], cursor: from, full: false };
    const to = upper!.seq;
    const rows: SourceRow[] = await manager.query(READ_SOURCES, [from, to, [...ALERT_SOURCE_EVENT_TYPES], FAILED_SIGN_INS_WINDOW_MINUTES]);
    // When each PSU's last 'failed-sign-ins' alert's event happened: earlier batches' (read above) and this one's.
    const failedAlertedAt = new Map<string, Date>();
    const windowMs = FAILED_SIGN_INS_WINDOW_MINUTES * 60_000;
    const drafts: Draft[] = rows.flatMap((row) => {
      const channels = row.channels ?? DEFAULT_ALERT_PREFERENCES.channels;
      const alertedAt = failedAlertedAt.get(row.psu_id) ?? row.failed_alerted_at;
      const draft = deriveAlert(
        {
          seq: row.seq,
          eventId: row.event_id,
          type: row.event_type,
          occurredAt: row.occurred_at,
          actorType: row.actor_type,
          psuId: row.psu_id,
          clientId: row.client_id,
          consentId: row.consent_id,
          data: row.data ?? {},
        },
        {
          appName: row.app_name,
          paymentThreshold: row.channels === null ? DEFAULT_ALERT_PREFERENCES.paymentThreshold : row.payment_threshold,
          failedSignInsInWindow: row.failed_in_window,
          failedSignInsAlertedInWindow: alertedAt !== null && row.occurred_at.getTime() - alertedAt.getTime() < windowMs,
        },
      );
      if (draft === null) return [];
      if (draft.kind === 'failed-sign-ins') failedAlertedAt.set(row.psu_id, row.occurred_at);
      return [{ ...draft, alertId: alertIdFor(row.event_id, draft.kind), sourceEventId: row.event_id, seq: row.seq, clientId: row.client_id, consentId: row.consent_id, email: channels.includes('email') && row.has_email, live: channels.includes('dashboard') }];
    });
    const inserted: { alert_id: string; psu_id: string; kind: string; title: string; body: string; created_at: Date; source_event_id: string }[] =
      drafts.length === 0
        ? []
        : await manager.query(INSERT_ALERTS, [
            drafts.map((d) => d.alertId),
            drafts.map((d) => d.psuId),
            drafts.map((d) => d.kind),
            drafts.map((d) => d.sourceEventId),
            drafts.map((d) => d.seq),
            drafts.map((d) => d.clientId),
            drafts.map((d) => d.consentId),
            drafts.map((d) => d.title),
            drafts.map((d) => d.body),
          ]);
    await recordAuditEvents(
      manager,
      inserted.map((alert) => ({
        type: 'alert.recorded' as const,
        actor: { type: 'system' as const, id: 'psu-alerts' },
        psuId: alert.psu_id,
        data: { alertId: alert.alert_id, kind: alert.kind, sourceEventId: alert.source_event_id },
      })),
    );
    await manager.query(`UPDATE alert_cursor SET last_seq = $2 WHERE name = $1`, [ALERT_CURSOR_NAME, to]);
    const toEmail = drafts.filter((d) => d.email).map((d) => d.alertId);
    await beforeCommit(toEmail);
    const recorded: PublishedAlert[] = inserted.map((alert) => ({
      alertId: alert.alert_id,
      psuId: alert.psu_id,
      kind: alert.kind,
      title: alert.title,
      body: alert.body,
      createdAt: alert.created_at.toISOString(),
    }));
    const live = new Set(drafts.filter((d) => d.live).map((d) => d.alertId));
    return {
      recorded,
      toPublish: recorded.filter((alert) => live.has(alert.alertId)),
      toEmail,
      cursor: to,
      full: upper!.entries >= batchSize,
    };
  });
}
