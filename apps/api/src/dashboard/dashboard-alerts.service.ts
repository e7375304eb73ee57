import { ALERT_CHANNELS, AlertChannel, AlertPreferences, DEFAULT_ALERT_PREFERENCES, isValidThreshold, readableAmount } from '@consentry/alerts';
import { recordAuditEvents } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { decodeListingCursor, keysetPage } from '../payment-views/payment-keyset.js';
import { PageException, PageExceptionCode } from './page.exception.js';

export const ALERTS_PAGE_SIZE = 20;
const ALERT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DashboardAlert {
  alertId: string;
  kind: string;
  title: string;
  body: string;
  createdAt: Date;
  read: boolean;
}

export interface DashboardAlertsPage {
  alerts: DashboardAlert[];
  unread: number;
  next: string | null;
}

interface AlertRow {
  alert_id: string;
  kind: string;
  title: string;
  body: string;
  created_at: Date;
  read_at: Date | null;
  listing_at: string;
}

/** A preferences form as posted: channels ticked and the threshold typed (empty: no payment alerts). */
export interface AlertPreferencesForm {
  channels: string[];
  paymentThreshold: string;
}

/** The PSU's alerts on the dashboard: the list (keyset, newest first), read marks and preferences. */
@Injectable()
export class DashboardAlertsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(psuId: string, cursor?: string): Promise<DashboardAlertsPage> {
    const params: unknown[] = [psuId, ALERTS_PAGE_SIZE + 1];
    let older = '';
    if (cursor) {
      const key = decodeListingCursor(cursor);
      if (!ALERT_ID.test(key.id)) throw new PageException(PageExceptionCode.InvalidForm, 'cursor is not valid');
      params.push(key.atMicros, key.id);
      older = `AND (created_at, alert_id) < (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::uuid)`;
    }
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT alert_id, kind, title, body, created_at, read_at, (extract(epoch FROM created_at) * 1000000)::bigint::text AS listing_at
         FROM psu_alert WHERE psu_id = $1 ${older}
        ORDER BY created_at DESC, alert_id DESC LIMIT $2`,
      params,
    );
    const [count]: { unread: number }[] = await this.dataSource.query(`SELECT count(*)::int AS unread FROM psu_alert WHERE psu_id = $1 AND read_at IS NULL`, [psuId]);
    const page = keysetPage(rows, ALERTS_PAGE_SIZE, (row) => row.alert_id);
    return {
      alerts: page.rows.map((row) => ({ alertId: row.alert_id, kind: row.kind, title: row.title, body: row.body, createdAt: row.created_at, read: row.read_at !== null })),
      unread: count!.unread,
      next: page.next,
    };
  }

  /** Marks one of the PSU's own alerts read; another PSU's alert id changes nothing. */
  async markRead(psuId: string, alertId: string): Promise<void> {
    if (!ALERT_ID.test(alertId)) throw new PageException(PageExceptionCode.InvalidForm, 'alert id is not valid');
    await this.dataSource.query(`UPDATE psu_alert SET read_at = now() WHERE alert_id = $1 AND psu_id = $2 AND read_at IS NULL`, [alertId, psuId]);
  }

  async markAllRead(psuId: string): Promise<void> {
    await this.dataSource.query(`UPDATE psu_alert SET read_at = now() WHERE psu_id = $1 AND read_at IS NULL`, [psuId]);
  }

  async preferences(psuId: string): Promise<AlertPreferences> {
    const [row]: { channels: AlertChannel[]; payment_threshold: string | null }[] = await this.dataSource.query(
      `SELECT channels, payment_threshold::text AS payment_threshold FROM psu_alert_preference WHERE psu_id = $1`,
      [psuId],
    );
    if (!row) return DEFAULT_ALERT_PREFERENCES;
    return { channels: row.channels, paymentThreshold: row.payment_threshold === null ? null : readableAmount(row.payment_threshold) };
  }

  /** Validates and saves the PSU's choices, with alert.preferences-changed in the same transaction. */
  async savePreferences(psuId: string, form: AlertPreferencesForm, interactionId: string): Promise<AlertPreferences> {
    const channels = ALERT_CHANNELS.filter((channel) => form.channels.includes(channel));
    if (channels.length !== form.channels.length) throw new PageException(PageExceptionCode.InvalidForm, 'channel is not valid');
    const threshold = form.paymentThreshold.trim();
    if (threshold !== '' && !isValidThreshold(threshold)) throw new PageException(PageExceptionCode.InvalidForm, 'paymentThreshold is not valid');
    const preferences: AlertPreferences = { channels, paymentThreshold: threshold === '' ? null : threshold };
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO psu_alert_preference (psu_id, channels, payment_threshold, updated_at) VALUES ($1, $2::text[], $3::numeric, now())
         ON CONFLICT (psu_id) DO UPDATE SET channels = EXCLUDED.channels, payment_threshold = EXCLUDED.payment_threshold, updated_at = now()`,
        [psuId, channels, preferences.paymentThreshold],
      );
      await recordAuditEvents(manager, [
        {
          type: 'alert.preferences-changed',
          actor: { type: 'psu', id: psuId },
          psuId,
          interactionId,
          data: { channels, paymentThreshold: preferences.paymentThreshold },
        },
      ]);
    });
    return preferences;
  }
}
