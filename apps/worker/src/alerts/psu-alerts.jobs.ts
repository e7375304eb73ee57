import { JobsOptions } from 'bullmq';

/** The repeatable job that turns new audit entries into PSU alerts. */
export const ALERT_TAIL_QUEUE = 'psu-alert-tail';
export const ALERT_TAIL_SCHEDULER_ID = 'psu-alert-tail-every';
export const ALERT_TAIL_JOB = 'tail-audit-log';
/** The name of the tail's row in alert_cursor. */
export const ALERT_CURSOR_NAME = 'psu-alerts';

export const ALERT_TAIL_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/** One email per alert; the job id is the alert id, so a second enqueue of it is a no-op. */
export const ALERT_EMAIL_QUEUE = 'psu-alert-email';
export const ALERT_EMAIL_JOB = 'send-alert-email';

export interface AlertEmailJobData {
  alertId: string;
}

export const ALERT_EMAIL_JOB_OPTIONS: JobsOptions = {
  // With the default 2 s first delay (ALERT_EMAIL_BACKOFF_MS), about 18 hours of retries: an SMTP outage of a working day is ridden out.
  attempts: 16,
  // Kept a week so an enqueue of the same alert id after a crash finds it and adds nothing.
  removeOnComplete: { age: 7 * 86_400 },
  removeOnFail: { age: 7 * 86_400 },
};
