import { expiryEndedAnAuthorisation } from '@consentry/audit';
import type { AuditActorType, AuditEventType } from '@consentry/audit';

/** Every kind of alert a PSU can receive. The catalogue below says which audit event makes which. */
export const ALERT_KINDS = [
  'access-granted',
  'consent-reconfirmed',
  'payment-above-threshold',
  'payment-held',
  'payment-released',
  'payment-rejected',
  'sign-in-locked',
  'failed-sign-ins',
  'consent-expired',
  'consent-revoked-by-app',
] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

/** The audit events the alert worker reads; every other type is skipped in SQL. */
export const ALERT_SOURCE_EVENT_TYPES = [
  'consent.authorised',
  'consent.reauthenticated',
  'payment.submitted',
  'payment.risk-assessed',
  'payment.status-changed',
  'payment.review.released',
  'payment.review.rejected',
  'payment.review.expired',
  'psu.locked',
  'psu.login.failed',
  'consent.expired',
  'consent.revoked',
] as const satisfies readonly AuditEventType[];

export type AlertSourceEventType = (typeof ALERT_SOURCE_EVENT_TYPES)[number];

/** Failed sign-ins within this window that make a 'failed-sign-ins' alert (the lockout comes at 5). */
export const FAILED_SIGN_INS_ALERT_COUNT = 3;
export const FAILED_SIGN_INS_WINDOW_MINUTES = 15;

export type AlertChannel = 'dashboard' | 'email';
export const ALERT_CHANNELS: readonly AlertChannel[] = ['dashboard', 'email'];

/** A PSU's choices; a PSU who never chose gets the defaults. */
export interface AlertPreferences {
  channels: AlertChannel[];
  /** Payments at or above this amount (in the payment's currency, any currency) raise an alert; null: none. */
  paymentThreshold: string | null;
}

export const DEFAULT_ALERT_PREFERENCES: AlertPreferences = { channels: ['dashboard', 'email'], paymentThreshold: '250.00' };

/** An audit log entry as the worker reads it. */
export interface AlertSourceEvent {
  seq: string;
  eventId: string;
  type: AuditEventType;
  occurredAt: Date;
  actorType: AuditActorType;
  psuId: string | null;
  clientId: string | null;
  consentId: string | null;
  data: Record<string, unknown>;
}

/** What the worker knows beside the event: the app's name, the PSU's threshold, failures in the window. */
export interface AlertContext {
  /** The TPP's client name, or null when unknown (the text then says "an app"). */
  appName: string | null;
  paymentThreshold: string | null;
  /** For psu.login.failed: how many failed sign-ins of this PSU up to and including this one, within the window. */
  failedSignInsInWindow?: number;
  /** For psu.login.failed: whether a 'failed-sign-ins' alert of this PSU was raised within the window before this one. */
  failedSignInsAlertedInWindow?: boolean;
}

// Text of a TPP's name that mail programs show as a link, or a reader takes for an address: a scheme's
// `://`, `www.`, an `@`, or a dotted name ending in letters (`secure-bank.example`).
const LINK_LIKE = /:\/\/|\bwww\.|@|\b[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}\b/iu;

/**
 * The TPP's name as an alert may say it: the name, unless it holds something link-like, then "an app"
 * (the dashboard names the app beside the alert). A TPP registers its own name, and alerts go out by
 * email: until 8 December 2026 a name carrying a URL put the TPP's link in the bank's own email, which
 * promises never to carry one (docs/monitoring.md).
 */
export function alertAppName(name: string | null): string {
  return name && !LINK_LIKE.test(name) ? name : 'an app';
}

/** An alert ready to store: its text is what the PSU reads on the dashboard and in the email. */
export interface AlertDraft {
  kind: AlertKind;
  psuId: string;
  title: string;
  body: string;
}

const PAYMENT_KIND_WORDS: Record<string, string> = {
  'domestic-payment': 'A payment',
  'domestic-scheduled-payment': 'A scheduled payment',
  'domestic-standing-order': 'A standing order',
  'domestic-vrp': 'A recurring payment (VRP)',
};

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Decimal amounts compared as exact fixed-point (no float rounding on money). */
export function isAtOrAbove(amount: string, threshold: string): boolean {
  const scale = (value: string): bigint => {
    const [whole = '0', fraction = ''] = value.split('.');
    return BigInt(whole) * 100_000n + BigInt((fraction + '00000').slice(0, 5));
  };
  return scale(amount) >= scale(threshold);
}

const AMOUNT = /^\d{1,13}(\.\d{1,5})?$/;

/** An amount as people type it: numeric(18,5)'s "250.00000" as "250.00", "0.12345" as it is. */
export function readableAmount(value: string): string {
  const [whole, fraction = ''] = value.split('.');
  return `${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

/** A valid threshold: at least 0.01, in the OB amount format (up to 13 digits, up to 5 decimals). */
export function isValidThreshold(value: string): boolean {
  return AMOUNT.test(value) && isAtOrAbove(value, '0.01');
}

function paymentWords(data: Record<string, unknown>): string {
  const kind = text(data['paymentKind']) ?? text(data['kind']);
  return (kind && PAYMENT_KIND_WORDS[kind]) ?? 'A payment';
}

/**
 * The alert catalogue: the one place that says which audit event raises which alert, and in what words.
 * Texts never carry an account number, a payee's details or a link; an amount is shown only with the
 * app's name, never with whom it was paid to.
 */
export function deriveAlert(event: AlertSourceEvent, context: AlertContext): AlertDraft | null {
  const psuId = event.psuId;
  if (!psuId) return null;
  const app = alertAppName(context.appName);
  const draft = (kind: AlertKind, title: string, body: string): AlertDraft => ({ kind, psuId, title, body });
  const data = event.data;
  switch (event.type) {
    case 'consent.authorised':
      return draft('access-granted', `You gave ${app} access`, `You gave ${app} access to your accounts or payments. If this was not you, withdraw it on your dashboard and call us.`);
    case 'consent.reauthenticated':
      return draft('consent-reconfirmed', `You renewed ${app}'s access`, `You confirmed again that ${app} may keep its access. If this was not you, withdraw it on your dashboard and call us.`);
    case 'payment.submitted': {
      // A standing order by the largest payment it will make: a token first payment, then large ones, is
      // the mandate the alert is for (until 7 December 2026 only its first amount was compared).
      const largest = text(data['largestAmount']);
      const amount = largest ?? text(data['amount']);
      const currency = text(data['currency']);
      if (!amount || !currency || !context.paymentThreshold || !AMOUNT.test(amount)) return null;
      if (!isAtOrAbove(amount, context.paymentThreshold)) return null;
      const threshold = readableAmount(context.paymentThreshold);
      if (largest) {
        const what = `${paymentWords(data)} of up to ${amount} ${currency} a payment`;
        return draft('payment-above-threshold', what, `${what} was set up through ${app}, at or above your alert threshold of ${threshold}. If you did not set it up, call us.`);
      }
      return draft('payment-above-threshold', `${paymentWords(data)} of ${amount} ${currency}`, `${paymentWords(data)} of ${amount} ${currency} was made through ${app}, at or above your alert threshold of ${threshold}. If you did not make it, call us.`);
    }
    case 'payment.risk-assessed': {
      const decision = data['decision'];
      if (decision === 'hold') {
        return draft('payment-held', `${paymentWords(data)} is on hold`, `${paymentWords(data)} made through ${app} is being checked by us before it is sent. We will tell you when it is decided.`);
      }
      if (decision === 'reject') {
        return draft('payment-rejected', `${paymentWords(data)} was stopped`, `We stopped ${paymentWords(data).toLowerCase()} made through ${app}. If you did not make it, call us.`);
      }
      return null;
    }
    // A held payment's outcome, as the hold's alert promised: released by the bank's review, or stopped by
    // it (an admin's reject, or no review in time). Never which rule held it (no tipping-off).
    case 'payment.review.released':
      return draft('payment-released', `${paymentWords(data)} was checked`, `We checked ${paymentWords(data).toLowerCase()} made through ${app} that was on hold, and it is going ahead.`);
    case 'payment.review.rejected':
    case 'payment.review.expired':
      return draft('payment-rejected', `${paymentWords(data)} was stopped`, `We checked ${paymentWords(data).toLowerCase()} made through ${app} that was on hold, and stopped it. No money left your account. If you did not make it, call us.`);
    case 'payment.status-changed':
      // A fraud rejection (FR01) is the risk engine's or the review's, alerted from payment.risk-assessed or
      // payment.review.*; this is every other (funds, bank).
      if (data['to'] !== 'RJCT' || data['statusReason'] === 'FR01') return null;
      return draft('payment-rejected', `${paymentWords(data)} was not made`, `${paymentWords(data)} made through ${app} was rejected and no money left your account.`);
    case 'psu.locked':
      return draft('sign-in-locked', 'Your sign-in is locked', 'After several wrong attempts your sign-in is locked for a while. If this was not you, call us.');
    case 'psu.login.failed':
      // Once per burst: at the 3rd failure within the window, and not again while an alert of this kind was
      // raised within the window before (until 8 December 2026 failures a few minutes apart kept the window at
      // exactly three, and each made an alert).
      if ((context.failedSignInsInWindow ?? 0) < FAILED_SIGN_INS_ALERT_COUNT || context.failedSignInsAlertedInWindow) return null;
      return draft('failed-sign-ins', 'Several failed sign-ins', `There were ${FAILED_SIGN_INS_ALERT_COUNT} failed sign-ins to your account within ${FAILED_SIGN_INS_WINDOW_MINUTES} minutes. If this was not you, call us.`);
    case 'consent.expired':
      // Not a request the PSU never approved (AWAU): there was no access to end.
      if (!expiryEndedAnAuthorisation(data)) return null;
      return draft('consent-expired', `${app}'s access has ended`, `The access you gave ${app} has expired. It can no longer use it.`);
    case 'consent.revoked':
      if (event.actorType !== 'tpp') return null;
      return draft('consent-revoked-by-app', `${app} ended its access`, `${app} ended the access you gave it. Nothing else changes on your accounts.`);
    default:
      return null;
  }
}

/** The alert kinds that each source event type can make, for the docs and the worker's filter. */
export const ALERT_CATALOGUE: Record<AlertSourceEventType, readonly AlertKind[]> = {
  'consent.authorised': ['access-granted'],
  'consent.reauthenticated': ['consent-reconfirmed'],
  'payment.submitted': ['payment-above-threshold'],
  'payment.risk-assessed': ['payment-held', 'payment-rejected'],
  'payment.status-changed': ['payment-rejected'],
  'payment.review.released': ['payment-released'],
  'payment.review.rejected': ['payment-rejected'],
  'payment.review.expired': ['payment-rejected'],
  'psu.locked': ['sign-in-locked'],
  'psu.login.failed': ['failed-sign-ins'],
  'consent.expired': ['consent-expired'],
  'consent.revoked': ['consent-revoked-by-app'],
};
