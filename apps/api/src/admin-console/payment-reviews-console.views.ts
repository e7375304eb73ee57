import { formatPaymentAmount } from '@consentry/consents';
import { AdminRole } from '@consentry/identity';

import { alertBox, escapeHtml, formatInstant } from '../dashboard/page-html.js';
import { PaymentReview, PaymentReviewsPage, RuleStatistics } from '../payment-reviews/payment-reviews.service.js';
import { ADMIN_CONSOLE_REALM, consoleNav, layout, signedInHeader } from './admin-console.views.js';

const BASE = ADMIN_CONSOLE_REALM.basePath;

/** What the last review did, shown after its redirect. */
export type PaymentReviewNotice = 'released' | 'release-requested' | 'rejected' | 'conflict' | 'invalid';

const NOTICES: Record<PaymentReviewNotice, { text: string; kind: 'error' | 'success' }> = {
  released: { text: 'The payment was released and executed.', kind: 'success' },
  'release-requested': { text: 'Release requested: a second administrator must confirm it.', kind: 'success' },
  rejected: { text: 'The payment was rejected.', kind: 'success' },
  conflict: { text: 'The payment was already reviewed, or needs a different administrator to confirm.', kind: 'error' },
  invalid: { text: 'Give a reason of 3 to 500 characters.', kind: 'error' },
};

export function isPaymentReviewNotice(value: unknown): value is PaymentReviewNotice {
  return typeof value === 'string' && Object.hasOwn(NOTICES, value);
}

function reviewForm(review: PaymentReview, action: 'release' | 'reject', csrf: string): string {
  const id = `${action}-${review.paymentId}`;
  return `<form method="post" action="${BASE}/payment-reviews/${encodeURIComponent(review.paymentId)}/${action}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="${escapeHtml(id)}">Reason to ${action}</label>
<input id="${escapeHtml(id)}" name="reason" required minlength="3" maxlength="500">
<button type="submit"${action === 'reject' ? ' class="secondary"' : ''}>${action === 'release' ? 'Release' : 'Reject'}</button>
</form>`;
}

function reviewRow(review: PaymentReview, csrf: string): string {
  const rules = review.rules.map((r) => `${escapeHtml(r.name)} (${escapeHtml(r.kind)}, ${r.score})`).join(', ');
  const history = review.accountHistory.length
    ? `<ul>${review.accountHistory
        .map((h) => `<li>${escapeHtml(formatInstant(new Date(h.assessedAt)))}: ${escapeHtml(formatPaymentAmount(h.amount, h.currency))} to ${escapeHtml(h.payee)} (${escapeHtml(h.decision)})</li>`)
        .join('')}</ul>`
    : 'No earlier payments';
  return `<tr data-review="${escapeHtml(review.paymentId)}">
<td><code>${escapeHtml(review.paymentId)}</code><br>${escapeHtml(review.paymentKind)}${review.reviewStatus === 'release-requested' ? '<br><strong>Release requested</strong>' : ''}</td>
<td>${escapeHtml(formatInstant(new Date(review.heldAt)))}</td>
<td>${escapeHtml(formatPaymentAmount(review.amount, review.currency))}<br>${escapeHtml(review.payee)}</td>
<td data-field="rules">${rules} = ${review.score}</td>
<td>${history}</td>
<td>${reviewForm(review, 'release', csrf)}${reviewForm(review, 'reject', csrf)}</td>
</tr>`;
}

function statisticsTable(statistics: RuleStatistics[]): string {
  if (statistics.length === 0) return '<p>No rule has fired yet.</p>';
  const rows = statistics
    .map(
      (s) => `<tr data-rule="${escapeHtml(s.name)}"><th scope="row">${escapeHtml(s.name)}</th><td>${escapeHtml(s.kind)}</td><td>${s.fired}</td><td>${s.held}</td><td>${s.reviewed}</td><td>${s.released}</td><td data-field="false-positive-rate">${s.falsePositiveRate ?? '—'}</td></tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table>
<caption>Rules: how often each fired, and how often its holds were released (the false-positive rate)</caption>
<thead><tr><th scope="col">Rule</th><th scope="col">Kind</th><th scope="col">Fired</th><th scope="col">Held</th><th scope="col">Reviewed</th><th scope="col">Released</th><th scope="col">False-positive rate</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

export interface PaymentReviewsConsoleView {
  username: string;
  csrf: string;
  roles: readonly AdminRole[] | undefined;
  page: PaymentReviewsPage;
  statistics: RuleStatistics[];
  notice?: PaymentReviewNotice;
}

export function paymentReviewsConsolePage(view: PaymentReviewsConsoleView): string {
  const notice = view.notice ? NOTICES[view.notice] : undefined;
  const queue = view.page.reviews.length
    ? `<div class="table-wrap"><table>
<caption>Held payments, oldest first (${view.page.reviews.length} on this page)</caption>
<thead><tr><th scope="col">Payment</th><th scope="col">Held</th><th scope="col">Amount and payee</th><th scope="col">Rules that fired</th><th scope="col">The account’s recent payments</th><th scope="col">Review</th></tr></thead>
<tbody>
${view.page.reviews.map((r) => reviewRow(r, view.csrf)).join('\n')}
</tbody>
</table></div>`
    : '<p>No payment is waiting for review.</p>';
  const body = `${consoleNav('payment-reviews', view.roles)}
<h1>Payment reviews</h1>
${notice ? alertBox(notice.text, notice.kind) : ''}
${queue}
${view.page.next ? `<nav class="pager" aria-label="Pages of held payments"><a href="${BASE}/payment-reviews?cursor=${encodeURIComponent(view.page.next)}" rel="next">Next page</a></nav>` : ''}
<h2>Rules</h2>
${statisticsTable(view.statistics)}`;
  return layout('Payment reviews', body, signedInHeader(view.username, view.csrf));
}
