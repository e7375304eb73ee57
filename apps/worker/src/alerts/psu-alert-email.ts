import { maskEmail, renderAlertEmail } from '@consentry/alerts';
import { recordAuditEvents } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import type { Transporter } from 'nodemailer';

export type AlertEmailOutcome = 'sent' | 'already-sent' | 'no-address';

/** Thrown while the alert's row is not committed yet (its tail batch is in flight): BullMQ retries. */
export class AlertNotYetRecordedError extends Error {}

/**
 * The mail server did not take the message. Its message names what failed (nodemailer's code, the SMTP
 * reply code and the command), never the server's reply text: a server refusing a recipient repeats the
 * address (`550 5.1.1 <alice@...>: Recipient address rejected`), and this message is logged and kept by
 * BullMQ as the job's failedReason. Until 7 December 2026 the PSU's address reached both in clear.
 */
export class AlertEmailRefusedError extends Error {
  constructor(cause: unknown) {
    const { code, responseCode, command } = (cause ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
    const said = [typeof code === 'string' ? code : null, typeof responseCode === 'number' ? `reply ${responseCode}` : null, typeof command === 'string' ? `to ${command.split(' ')[0]}` : null];
    super(`the mail server did not take the alert email (${said.filter((part) => part !== null).join(', ') || 'no SMTP reply'})`);
    this.name = 'AlertEmailRefusedError';
  }
}

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
  let info: { messageId?: string };
  try {
    info = await transport.sendMail({ from, to: alert.email, subject: mail.subject, text: mail.text });
  } catch (error) {
    throw new AlertEmailRefusedError(error);
  }
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
