import { consentEndedAt, formatPaymentAmount, isConsentLive } from '@consentry/consents';
import { PaymentConsentKind, PaymentConsentStatus } from '@consentry/database';

import { CustomerPaymentConsentView } from '../customer/customer-payment-consents.service.js';
import { PaymentStatus, PaymentView } from '../payment-views/payment-rows.js';
import { DASHBOARD_REALM, dashboardNav } from './dashboard.views.js';
import { alertBox, escapeHtml, formatInstant, postButton, renderPage } from './page-html.js';
import { stylesheetOf } from './page-realm.js';

const PAYMENTS_PATH = `${DASHBOARD_REALM.basePath}/payments`;

/** Messages the payments page may show after a redirect, by key: no text from the URL is ever shown. */
export const DASHBOARD_PAYMENT_NOTICES = {
  revoked: { kind: 'success', text: 'Stopped. The app can no longer use this consent: its next payment or funds check is refused.' },
  not_revocable: { kind: 'error', text: 'That consent has already ended or cannot be stopped, so nothing changed.' },
  cancelled: { kind: 'success', text: 'Cancelled. No payment will be made from it.' },
  cancelled_run_with_bank: {
    kind: 'success',
    text: 'Cancelled. One payment of it had already been sent to your bank and may still be made; no payment after it will be.',
  },
  not_cancellable: { kind: 'error', text: 'That payment has already been sent to your bank or cancelled, so nothing changed.' },
} as const;

export type DashboardPaymentNotice = keyof typeof DASHBOARD_PAYMENT_NOTICES;

export function isDashboardPaymentNotice(value: unknown): value is DashboardPaymentNotice {
  return typeof value === 'string' && Object.hasOwn(DASHBOARD_PAYMENT_NOTICES, value);
}

const KIND_WORDS: Record<PaymentConsentKind, string> = {
  'domestic-payment': 'A single payment',
  'domestic-scheduled-payment': 'A payment on a set date',
  'domestic-vrp': 'Recurring payments',
  'funds-confirmation': 'Funds checks',
  'domestic-standing-order': 'A standing order',
};

const CONSENT_STATUS_WORDS: Record<PaymentConsentStatus, string> = {
  AWAU: 'Waiting for your approval',
  AUTH: 'Active',
  COND: 'Used',
  RJCT: 'Refused',
  CANC: 'Stopped',
  EXPD: 'Expired',
};

const PAYMENT_STATUS_WORDS: Record<PaymentStatus, string> = {
  PDNG: 'Pending',
  ACSP: 'Accepted, on its way',
  ACSC: 'Paid',
  RJCT: 'Rejected',
  CANC: 'Cancelled',
};

// ISO 20022 reasons a rejection here can carry, in words.
const REASON_WORDS: Record<string, string> = {
  AM04: 'not enough money in the account',
  AM03: 'your account or the payee’s is in another currency',
  AC06: 'your account cannot make payments, or the payee’s cannot receive them',
  AM02: 'the amount could not be booked',
  AG01: 'it no longer matched what you approved',
  FR01: 'stopped by our checks',
};

function paymentStatus(payment: PaymentView): string {
  const words = PAYMENT_STATUS_WORDS[payment.status];
  const reason = payment.statusReason ? (REASON_WORDS[payment.statusReason] ?? payment.statusReason) : null;
  return reason ? `${words}: ${reason}` : words;
}

/** The view's dates as the consent rules read them (isConsentLive, consentEndedAt). */
function timesOf(consent: CustomerPaymentConsentView): { status: string; expirationDateTime: Date | null; statusUpdateDateTime: Date } {
  return { status: consent.status, expirationDateTime: consent.expirationDateTime === null ? null : new Date(consent.expirationDateTime), statusUpdateDateTime: new Date(consent.statusUpdateDateTime) };
}

function consentStatus(consent: CustomerPaymentConsentView): { text: string; className: string } {
  const live = isConsentLive(timesOf(consent));
  // Authorised but past its end date, not yet swept by the expiry job: it is not usable any more.
  const text = consent.status === 'AUTH' && !live ? 'Expired' : CONSENT_STATUS_WORDS[consent.status];
  return { text, className: live ? 'status status-live' : 'status status-ended' };
}

function row(term: string, valueHtml: string, field?: string): string {
  return `<dt>${escapeHtml(term)}</dt><dd${field ? ` data-field="${field}"` : ''}>${valueHtml}</dd>`;
}

function instant(value: string | null, otherwise: string): string {
  return escapeHtml(value ? formatInstant(new Date(value)) : otherwise);
}

function terms(consent: CustomerPaymentConsentView): string {
  const rows: string[] = [];
  if (consent.amount) rows.push(row('Amount', escapeHtml(formatPaymentAmount(consent.amount.amount, consent.amount.currency)), 'amount'));
  if (consent.executesOn) rows.push(row('On', instant(consent.executesOn, ''), 'execution-date'));
  for (const line of consent.standingOrder?.schedule ?? []) rows.push(row(line.term, escapeHtml(line.value), line.field));
  if (consent.standingOrder?.nextRunAt) rows.push(row('Next payment', instant(consent.standingOrder.nextRunAt, ''), 'next-payment'));
  const cp = consent.controlParameters;
  if (cp) {
    rows.push(row('What for', `<ul>${cp.types.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>`, 'vrp-types'));
    rows.push(row('Most per payment', escapeHtml(cp.maximumPerPayment), 'maximum-per-payment'));
    rows.push(row('Limits', `<ul>${cp.periodicLimits.map((l) => `<li data-field="periodic-limit">${escapeHtml(l)}</li>`).join('')}</ul>`));
    if (cp.validFrom) rows.push(row('From', instant(cp.validFrom, '')));
    rows.push(row('Until', instant(cp.validTo, 'You stop it'), 'valid-to'));
  }
  if (consent.kind === 'funds-confirmation') {
    rows.push(row('What for', 'The app may ask whether this account covers an amount. It gets a yes or a no, never your balance.'));
  }
  if (consent.payee) {
    rows.push(row('To', escapeHtml(consent.payee.name), 'payee-name'));
    rows.push(row('Payee account', escapeHtml(consent.payee.account), 'payee-account'));
  } else if (consent.kind === 'domestic-vrp') {
    rows.push(row('To', 'The payee each payment names', 'payee-name'));
  }
  if (consent.debtorAccount) {
    rows.push(row(consent.kind === 'funds-confirmation' ? 'Account' : 'From', `${escapeHtml(consent.debtorAccount.name)} · ${escapeHtml(consent.debtorAccount.bank)}`, 'debtor-account'));
  }
  return rows.join('\n');
}

function dates(consent: CustomerPaymentConsentView): string {
  const ended = consentEndedAt(timesOf(consent));
  return [
    row('Granted', instant(consent.authorisedDateTime, 'Not granted')),
    consent.kind === 'domestic-payment' ? '' : row('Expires', instant(consent.expirationDateTime, 'No end date')),
    ended ? row('Ended', escapeHtml(formatInstant(ended))) : '',
    row('Reference', `<code>${escapeHtml(consent.consentId)}</code>`),
  ].join('\n');
}

/** A consent's payments as a table: when, how much, to whom (masked), how it stands. */
export function paymentsTable(payments: PaymentView[], caption: string): string {
  if (payments.length === 0) return '<p class="muted">No payments yet.</p>';
  const rows = payments
    .map(
      (p) => `<tr data-payment="${escapeHtml(p.paymentId)}">
<td>${escapeHtml(formatInstant(new Date(p.creationDateTime)))}</td>
<td>${escapeHtml(formatPaymentAmount(p.amount.amount, p.amount.currency))}</td>
<td>${p.payee ? `${escapeHtml(p.payee.name)} <span class="muted">(${escapeHtml(p.payee.account)})</span>` : ''}</td>
<td>${escapeHtml(paymentStatus(p))}</td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap">
<table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Amount</th><th scope="col">To</th><th scope="col">Status</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
}

function consentPath(consentId: string): string {
  return `${PAYMENTS_PATH}/${encodeURIComponent(consentId)}`;
}

function consentCard(consent: CustomerPaymentConsentView, csrf: string, index: number): string {
  const status = consentStatus(consent);
  const headingId = `payment-consent-${index}-heading`;
  const kind = KIND_WORDS[consent.kind];
  const revoke = consent.revocable
    ? postButton(`${consentPath(consent.consentId)}/revoke`, csrf, consent.kind === 'funds-confirmation' ? 'Stop funds checks' : 'Stop payments', {
        className: 'danger',
        hiddenLabel: `for ${consent.tpp.name}`,
      })
    : '';
  const order = consent.standingOrder;
  // A payment sent to the bank and unanswered is the bank's: a scheduled payment can no longer be
  // cancelled; a standing order can, and its payments after that one are not made.
  const awaiting = consent.awaitingBankAnswer
    ? order
      ? '<p data-awaiting-bank>A payment of this standing order was sent to your bank, which has not answered yet. Cancelling stops the payments after it.</p>'
      : '<p data-awaiting-bank>Sent to your bank, which has not answered yet. It can’t be cancelled until the bank answers.</p>'
    : '';
  const cancel =
    awaiting +
    (order?.standingOrderId && order.cancellable
      ? postButton(`${PAYMENTS_PATH}/standing-orders/${encodeURIComponent(order.standingOrderId)}/cancel`, csrf, order.status === 'PDNG' ? 'Cancel standing order' : 'Cancel its last payment', {
          className: 'danger',
          hiddenLabel: `to ${consent.payee?.name ?? consent.tpp.name}`,
        })
      : consent.cancellablePaymentId
        ? postButton(`${PAYMENTS_PATH}/scheduled-payments/${encodeURIComponent(consent.cancellablePaymentId)}/cancel`, csrf, 'Cancel this payment', {
            className: 'danger',
            hiddenLabel: `to ${consent.payee?.name ?? consent.tpp.name}`,
          })
        : '');
  const payments =
    consent.kind === 'funds-confirmation'
      ? ''
      : `<h3>Payments</h3>
${paymentsTable(consent.payments, `Newest payments by ${consent.tpp.name}`)}
${consent.morePayments ? `<p><a href="${escapeHtml(consentPath(consent.consentId))}">All payments under this consent</a></p>` : ''}`;
  return `<li class="consent" data-consent="${escapeHtml(consent.consentId)}">
<section aria-labelledby="${headingId}">
<h2 id="${headingId}">${escapeHtml(consent.tpp.name)}: ${escapeHtml(kind.toLowerCase())}</h2>
<p><span class="${status.className}">${escapeHtml(status.text)}</span></p>
<dl>
${terms(consent)}
${dates(consent)}
</dl>
${payments}
${revoke}
${cancel}
</section>
</li>`;
}

function layout(title: string, body: string, header: string): string {
  return renderPage({ title, body, header, application: DASHBOARD_REALM.application, stylesheet: stylesheetOf(DASHBOARD_REALM) });
}

export interface DashboardPaymentsView {
  header: string;
  csrf: string;
  consents: CustomerPaymentConsentView[];
  /** Link to the next (older) page of consents, if any. */
  next: string | null;
  /** Whether this is a later page (a link back to the newest). */
  paged: boolean;
  notice?: DashboardPaymentNotice;
}

export function dashboardPaymentsPage(view: DashboardPaymentsView): string {
  const notice = view.notice ? alertBox(DASHBOARD_PAYMENT_NOTICES[view.notice].text, DASHBOARD_PAYMENT_NOTICES[view.notice].kind) : '';
  const pager = [
    view.paged ? `<a href="${PAYMENTS_PATH}">Newest consents</a>` : '',
    view.next ? `<a href="${PAYMENTS_PATH}?cursor=${encodeURIComponent(view.next)}" rel="next">Older consents</a>` : '',
  ].filter(Boolean);
  return layout(
    'Payments you allowed',
    `${dashboardNav('payments')}
<h1>Payments you allowed</h1>
${notice}
${view.consents.length === 0 ? '<p>You have not allowed any app to make payments or check your funds.</p>' : '<p>Stop recurring payments or funds checks at any time: the app is refused from its very next request. Cancel a payment on a set date, or a standing order, before it runs.</p>'}
<ul class="consents">
${view.consents.map((consent, i) => consentCard(consent, view.csrf, i)).join('\n')}
</ul>
${pager.length > 0 ? `<nav class="pager" aria-label="Pages of consents">${pager.join('\n')}</nav>` : ''}`,
    view.header,
  );
}

export interface DashboardConsentPaymentsView {
  header: string;
  csrf: string;
  consent: CustomerPaymentConsentView;
  payments: PaymentView[];
  next: string | null;
  paged: boolean;
}

export function dashboardConsentPaymentsPage(view: DashboardConsentPaymentsView): string {
  const path = consentPath(view.consent.consentId);
  const pager = [
    view.paged ? `<a href="${escapeHtml(path)}">Newest payments</a>` : '',
    view.next ? `<a href="${escapeHtml(path)}?cursor=${encodeURIComponent(view.next)}" rel="next">Older payments</a>` : '',
  ].filter(Boolean);
  const title = `Payments by ${view.consent.tpp.name}`;
  return layout(
    title,
    `${dashboardNav('payments')}
<h1>${escapeHtml(title)}</h1>
<dl>
${terms(view.consent)}
${dates(view.consent)}
</dl>
${paymentsTable(view.payments, 'Payments, newest first')}
${pager.length > 0 ? `<nav class="pager" aria-label="Pages of payments">${pager.join('\n')}</nav>` : ''}
<p><a href="${PAYMENTS_PATH}">Back to payments you allowed</a></p>`,
    view.header,
  );
}
