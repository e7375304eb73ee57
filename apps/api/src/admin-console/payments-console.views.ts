import { formatPaymentAmount } from '@consentry/consents';
import { AdminRole } from '@consentry/identity';

import { AdminPaymentDetail, AdminPaymentsPage, AdminPaymentView } from '../admin/payments/payment-admin.service.js';
import { alertBox, escapeHtml, formatInstant } from '../dashboard/page-html.js';
import { PAYMENT_STATUSES } from '../payment-views/payment-rows.js';
import { ADMIN_CONSOLE_REALM, auditEntriesTable, consoleNav, describedBy, fieldError, layout, signedInHeader, textField } from './admin-console.views.js';
import { filterQuery } from './audit-filter.form.js';
import { ParsedPaymentFilter } from './payment-filter.form.js';

const BASE = ADMIN_CONSOLE_REALM.basePath;

function statusField(parsed: ParsedPaymentFilter): string {
  const options = ['', ...PAYMENT_STATUSES]
    .map((status) => `<option value="${escapeHtml(status)}"${parsed.values.status === status ? ' selected' : ''}>${status ? escapeHtml(status) : 'Any status'}</option>`)
    .join('');
  return `<div>
<label for="status">Status</label>
${fieldError('status', parsed.errors.status)}
<select id="status" name="status"${describedBy('status', parsed.errors.status)}>${options}</select>
</div>`;
}

function searchForm(parsed: ParsedPaymentFilter): string {
  return `<form method="get" action="${BASE}/payments" role="search" aria-label="Payments">
<fieldset class="filters">
<legend>Search payments</legend>
${statusField(parsed)}
${textField('clientId', 'TPP (client id)', parsed)}
${textField('consentId', 'Consent id', parsed)}
${textField('from', 'Created from (UTC)', parsed, 'datetime-local', 'Inclusive, in UTC.')}
${textField('to', 'Created to (UTC)', parsed, 'datetime-local')}
<div><button type="submit">Search</button></div>
</fieldset>
</form>`;
}

function amountOf(payment: AdminPaymentView): string {
  return formatPaymentAmount(payment.amount.amount, payment.amount.currency);
}

function statusOf(payment: AdminPaymentView): string {
  return payment.statusReason ? `${payment.status} (${payment.statusReason})` : payment.status;
}

function paymentsTable(page: AdminPaymentsPage): string {
  if (page.payments.length === 0) return '<p>No payments match this search.</p>';
  const rows = page.payments
    .map(
      (p) => `<tr data-payment="${escapeHtml(p.paymentId)}">
<td><a href="${BASE}/payments/${encodeURIComponent(p.paymentId)}"><code>${escapeHtml(p.paymentId)}</code></a></td>
<td>${escapeHtml(formatInstant(new Date(p.creationDateTime)))}</td>
<td>${escapeHtml(p.kind)}</td>
<td>${escapeHtml(p.tpp.name ?? p.tpp.clientId)}</td>
<td>${escapeHtml(amountOf(p))}</td>
<td>${p.payee ? `${escapeHtml(p.payee.name)} <span class="muted">(${escapeHtml(p.payee.account)})</span>` : ''}</td>
<td>${escapeHtml(statusOf(p))}</td>
<td><code>${escapeHtml(p.consentId)}</code></td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap">
<table>
<caption>Payments, newest first (${page.payments.length} on this page)</caption>
<thead><tr><th scope="col">Payment</th><th scope="col">Created</th><th scope="col">Kind</th><th scope="col">TPP</th><th scope="col">Amount</th><th scope="col">Payee</th><th scope="col">Status</th><th scope="col">Consent</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
}

export interface PaymentsConsoleView {
  username: string;
  csrf: string;
  roles: readonly AdminRole[] | undefined;
  parsed: ParsedPaymentFilter;
  /** Null while the filter has errors. */
  page: AdminPaymentsPage | null;
}

export function paymentsConsolePage(view: PaymentsConsoleView): string {
  const errors = Object.keys(view.parsed.errors).length;
  const pager = [
    view.parsed.cursor ? `<a href="${BASE}/payments?${escapeHtml(filterQuery(view.parsed.values))}">Newest payments</a>` : '',
    view.page?.next ? `<a href="${BASE}/payments?${escapeHtml(filterQuery(view.parsed.values, { cursor: view.page.next }))}" rel="next">Next page (older payments)</a>` : '',
  ].filter(Boolean);
  const body = `${consoleNav('payments', view.roles)}
<h1>Payments</h1>
${errors > 0 ? alertBox(`Correct ${errors === 1 ? 'the field' : `the ${errors} fields`} marked below to search.`) : ''}
${searchForm(view.parsed)}
${view.page ? paymentsTable(view.page) : ''}
${pager.length > 0 ? `<nav class="pager" aria-label="Pages of payments">${pager.join('\n')}</nav>` : ''}`;
  return layout('Payments', body, signedInHeader(view.username, view.csrf));
}

export function paymentDetailPage(username: string, csrf: string, roles: readonly AdminRole[] | undefined, detail: AdminPaymentDetail): string {
  const p = detail.payment;
  const title = `Payment ${p.paymentId}`;
  const consent = `<code>${escapeHtml(p.consentId)}</code>`;
  // The consent's whole trail is the auditor's page: linked only for an admin who may open it.
  const consentLink = roles?.includes('auditor') ? `<a href="${BASE}/events?${escapeHtml(filterQuery({ consentId: p.consentId }))}">${consent}</a>` : consent;
  const body = `${consoleNav('payments', roles)}
<h1>${escapeHtml(title)}</h1>
<dl>
<dt>Kind</dt><dd>${escapeHtml(p.kind)}</dd>
<dt>Status</dt><dd data-field="status">${escapeHtml(statusOf(p))}</dd>
<dt>Amount</dt><dd data-field="amount">${escapeHtml(amountOf(p))}</dd>
<dt>Payee</dt><dd data-field="payee">${p.payee ? `${escapeHtml(p.payee.name)} (${escapeHtml(p.payee.account)})` : ''}</dd>
<dt>Debtor account</dt><dd data-field="debtor-account">${escapeHtml(p.debtorAccount)}</dd>
<dt>TPP</dt><dd>${escapeHtml(p.tpp.name ?? '')} <code>${escapeHtml(p.tpp.clientId)}</code></dd>
<dt>PSU</dt><dd><code>${escapeHtml(p.psuId ?? '')}</code></dd>
<dt>Consent</dt><dd>${consentLink}</dd>
<dt>Created</dt><dd>${escapeHtml(formatInstant(new Date(p.creationDateTime)))}</dd>
<dt>Status changed</dt><dd>${escapeHtml(formatInstant(new Date(p.statusUpdateDateTime)))}</dd>
</dl>
<h2>Audit events</h2>
${detail.events.length === 0 ? '<p>No audit events recorded for this payment yet (an event still in the outbox appears within moments).</p>' : auditEntriesTable(detail.events, 'This payment’s events, oldest first')}
<p><a href="${BASE}/payments">Back to payments</a></p>`;
  return layout(title, body, signedInHeader(username, csrf));
}
