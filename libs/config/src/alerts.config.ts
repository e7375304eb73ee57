import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import type { PlatformMode } from './platform.config.js';
import { refusePlaceholder } from './secret-placeholders.js';

/** PSU alerts: how the worker finds them in the audit log and whether and how it emails them. */
export interface AlertsConfig {
  /** smtp:// or smtps:// URL of the mail server; undefined with email off. Carries a credential: never logged. */
  smtpUrl?: string;
  /** False with ALERT_EMAIL=off: alerts reach the dashboard only. */
  emailEnabled: boolean;
  /** The From address of alert emails. */
  emailFrom: string;
  /** Milliseconds between reads of the audit log for new alert sources. */
  intervalMs: number;
  /** Audit entries read per batch. */
  batchSize: number;
  /** First retry delay of a failed email, doubled at each attempt. */
  emailBackoffMs: number;
}

/** Reads the alert settings; production refuses to start without SMTP_URL unless ALERT_EMAIL=off. */
export function loadAlertsConfig(env: Record<string, string | undefined>, mode: PlatformMode): AlertsConfig {
  const read = new EnvReader(env);
  const switchValue = read.oneOf('ALERT_EMAIL', ['on', 'off'], 'on');
  const smtpUrl = read.raw('SMTP_URL') === undefined ? undefined : refusePlaceholder('SMTP_URL', read.url('SMTP_URL', undefined, ['smtp:', 'smtps:']), mode);
  const emailEnabled = switchValue === 'on' && (smtpUrl !== undefined || mode !== 'production');
  if (mode === 'production' && switchValue === 'on' && smtpUrl === undefined) {
    throw new ConfigError('SMTP_URL', 'is required in production mode (or set ALERT_EMAIL=off)');
  }
  return {
    // The sandbox's default is the mail catcher npm start runs (maildev's SMTP port).
    smtpUrl: emailEnabled ? (smtpUrl ?? 'smtp://127.0.0.1:1025') : undefined,
    emailEnabled,
    emailFrom: read.string('ALERT_EMAIL_FROM', 'Consentry alerts <alerts@consentry.invalid>'),
    intervalMs: read.integer('ALERT_INTERVAL_MS', 1_000, { min: 50, max: 3600_000 }),
    batchSize: read.integer('ALERT_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
    emailBackoffMs: read.integer('ALERT_EMAIL_BACKOFF_MS', 2_000, { min: 10, max: 3600_000 }),
  };
}
