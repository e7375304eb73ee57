import { maskEmail, renderAlertEmail } from '@consentry/alerts';
import { recordAuditEvents } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import type { Transporter } from 'nodemailer';

export type AlertEmailOutcome = 'sent' | 'already-sent' | 'no-address';

/** Thrown while the alert's row is not committed yet (its tail batch is in flight): BullMQ retries. */
export class AlertNotYetRecordedError extends Error {}

/**
 * Sends one alert's email and records `alert.emailed` after the SMTP server accepted it (with the
 * address masked). `emailed_at` makes a retry after that point a no-op; a crash between the accept and
 * the record sends it again: at least once, never zero times.
 */
export async function sendAlertEmail(dataSource: DataSource, transport: Transporter, from: string, alertId: string): Promise<AlertEmailOutcome> {
  const [alert]: { alert_id: string; psu_id: string; kind: string; title: string; body: string; created_at: Date; emailed_at: Date | null; email: string | null }[] =
    await dataSource.query(
      `SELECT a.alert_id, a.psu_id, a.kind, a.title, a.body, a.created_at, a.emailed_at, p.email
         FROM psu_alert a JOIN psu p ON p.psu_id = a.psu_id WHERE a.alert_id = $1`,
      [alertId],
    );
  if (alert === undefined) throw new AlertNotYetRecordedError('alert not recorded yet');
  if (alert.emailed_at !== null) return 'already-sent';
  if (alert.email === null) return 'no-address';
  const mail = renderAlertEmail({ alertId: alert.alert_id, title: alert.title, body: alert.body, createdAt: alert.created_at });
  const info: { messageId?: string } = await transport.sendMail({ from, to: alert.email, subject: mail.subject, text: mail.text });
  await dataSource.transaction(async (manager) => {
    await manager.query(`UPDATE psu_alert SET emailed_at = now() WHERE alert_id = $1`, [alert.alert_id]);
    await recordAuditEvents(manager, [
      {
        type: 'alert.emailed',
        actor: { type: 'system', id: 'psu-alerts' },
        psuId: alert.psu_id,
        data: { alertId: alert.alert_id, kind: alert.kind, to: maskEmail(alert.email!), ...(info.messageId ? { messageId: info.messageId } : {}) },
      },
    ]);
  });
  return 'sent';
}
