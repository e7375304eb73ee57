import { AUDIT_EVENT_TYPES } from '@consentry/audit';
import { ADMIN_ROLE_DUTIES, AdminRole } from '@consentry/identity';

import { alertBox, escapeHtml, formatInstant, loginForm, postButton, renderPage } from '../dashboard/page-html.js';
import { PageRealm, stylesheetOf } from '../dashboard/page-realm.js';
import { AuditChainVerificationResult } from '../admin/audit/audit-chain-verification.service.js';
import { AuditFilterValues, filterQuery, ParsedAuditFilter } from './audit-filter.form.js';
import { AuditLogEntryView } from '../admin/audit/audit-log.rows.js';
import { AuditSearchPage } from '../admin/audit/audit-search.service.js';

export const ADMIN_CONSOLE_REALM: PageRealm = {
  realm: 'admin',
  basePath: '/admin-console',
  application: 'Consentry · Audit console',
  cookieName: 'consentry-admin-console',
};

const BASE = ADMIN_CONSOLE_REALM.basePath;

export const ADMIN_CONSOLE_NOTICES = {
  signed_out: { kind: 'success', text: 'You have signed out.' },
} as const;

export type AdminConsoleNotice = keyof typeof ADMIN_CONSOLE_NOTICES;

export function isAdminConsoleNotice(value: unknown): value is AdminConsoleNotice {
  return typeof value === 'string' && Object.hasOwn(ADMIN_CONSOLE_NOTICES, value);
}

export function layout(title: string, body: string, header?: string, narrow = false): string {
  return renderPage({ title, body, header, narrow, application: ADMIN_CONSOLE_REALM.application, stylesheet: stylesheetOf(ADMIN_CONSOLE_REALM) });
}

/**
 * The console's sections and the role each page needs: the same role its controller declares with
 * @AdminAccess (admin-access.spec.ts holds the two together).
 */
export const CONSOLE_SECTIONS = [
  { path: 'events', label: 'Audit trail', role: 'auditor' },
  { path: 'payments', label: 'Payments', role: 'payment-reviewer' },
  { path: 'payment-reviews', label: 'Payment reviews', role: 'payment-reviewer' },
] as const satisfies ReadonlyArray<{ path: string; label: string; role: AdminRole }>;

export type ConsoleSection = (typeof CONSOLE_SECTIONS)[number]['path'];

/** The sections the admin's roles open, in the console's order. */
export function consoleSectionsFor(roles: readonly AdminRole[] = []): Array<(typeof CONSOLE_SECTIONS)[number]> {
  return CONSOLE_SECTIONS.filter((section) => roles.includes(section.role));
}

/** The console's sections the admin's roles open (no link to a page that would refuse them); the current one is marked for screen readers. */
export function consoleNav(current: ConsoleSection, roles: readonly AdminRole[] | undefined): string {
  const links = consoleSectionsFor(roles).map(
    ({ path, label }) => `<a href="${BASE}/${path}"${path === current ? ' aria-current="page"' : ''}>${label}</a>`,
  );
  return `<nav class="pager" aria-label="Console">
${links.join('\n')}
</nav>`;
}

/** The start page of an admin whose roles open no console page (a TPP manager or ledger operator: the admin API is theirs). */
export function noConsoleSectionPage(username: string, csrf: string, roles: readonly AdminRole[] | undefined): string {
  const held = (roles ?? []).map((role) => `<li><strong>${escapeHtml(role)}</strong>: ${escapeHtml(ADMIN_ROLE_DUTIES[role])}</li>`).join('\n');
  return layout(
    'Nothing to show',
    `<h1>Nothing to show</h1>
<p>None of your administrator roles has a page in this console; what they allow is on the admin API.</p>
<ul>
${held}
</ul>`,
    signedInHeader(username, csrf),
  );
}

export function signedInHeader(username: string, csrf: string): string {
  return `<p class="who">Administrator <strong>${escapeHtml(username)}</strong>
${postButton(`${BASE}/logout`, csrf, 'Sign out', { className: 'secondary' })}</p>`;
}

export interface AdminConsoleLoginView {
  csrf: string;
  username?: string;
  error?: string;
  notice?: AdminConsoleNotice;
}

export function adminConsoleLoginPage(view: AdminConsoleLoginView): string {
  const notice = view.notice ? alertBox(ADMIN_CONSOLE_NOTICES[view.notice].text, ADMIN_CONSOLE_NOTICES[view.notice].kind) : '';
  return layout(
    'Administrator sign-in',
    `${notice}
${loginForm({
  action: `${BASE}/login`,
  csrf: view.csrf,
  heading: 'Administrator sign-in',
  intro: 'The audit console is for the bank’s administrators only. Customer and app credentials do not work here.',
  username: view.username,
  error: view.error,
})}`,
    undefined,
    true,
  );
}

export function fieldError(id: string, message: string | undefined): string {
  return message ? `<p class="error" id="${id}-error">${escapeHtml(message)}</p>` : '';
}

export function describedBy(id: string, message: string | undefined, hint?: string): string {
  const ids = [hint, message ? `${id}-error` : undefined].filter(Boolean);
  return ids.length > 0 ? ` aria-describedby="${ids.join(' ')}"` : '';
}

/** A labelled text or date-time field of a search form, with its hint and error tied by aria-describedby. */
export function textField<K extends string>(
  name: K,
  label: string,
  parsed: { values: Record<K, string>; errors: Partial<Record<K, string>> },
  type = 'text',
  hint?: string,
): string {
  const error = parsed.errors[name];
  const hintHtml = hint ? `<p class="hint" id="${name}-hint">${escapeHtml(hint)}</p>` : '';
  return `<div>
<label for="${name}">${escapeHtml(label)}</label>
${hintHtml}${fieldError(name, error)}
<input id="${name}" name="${name}" type="${type}" value="${escapeHtml(parsed.values[name])}"${type === 'datetime-local' ? ' step="1"' : ' maxlength="200"'}${describedBy(name, error, hint ? `${name}-hint` : undefined)}${error ? ' aria-invalid="true"' : ''}>
</div>`;
}

function typeField(parsed: ParsedAuditFilter): string {
  const options = ['', ...AUDIT_EVENT_TYPES]
    .map((type) => `<option value="${escapeHtml(type)}"${parsed.values.type === type ? ' selected' : ''}>${type ? escapeHtml(type) : 'Any type'}</option>`)
    .join('');
  return `<div>
<label for="type">Event type</label>
${fieldError('type', parsed.errors.type)}
<select id="type" name="type"${describedBy('type', parsed.errors.type)}>${options}</select>
</div>`;
}

function searchForm(parsed: ParsedAuditFilter): string {
  return `<form method="get" action="${BASE}/events" role="search" aria-label="Audit events">
<fieldset class="filters">
<legend>Search events</legend>
${textField('from', 'From (UTC)', parsed, 'datetime-local', 'Inclusive, in UTC.')}
${textField('to', 'To (UTC)', parsed, 'datetime-local')}
${textField('clientId', 'TPP (client id)', parsed)}
${textField('psuId', 'PSU id', parsed)}
${textField('consentId', 'Consent id', parsed)}
${typeField(parsed)}
<div><button type="submit">Search</button></div>
</fieldset>
</form>`;
}

function hiddenFilter(values: AuditFilterValues): string {
  return Object.entries(values)
    .filter(([, value]) => value)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
}

function toolbar(parsed: ParsedAuditFilter, csrf: string): string {
  return `<div class="toolbar">
<form method="post" action="${BASE}/events/export" class="inline-form">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
${hiddenFilter(parsed.values)}
<button type="submit" name="format" value="csv" class="secondary">Export CSV</button>
<button type="submit" name="format" value="ndjson" class="secondary">Export NDJSON</button>
</form>
${postButton(`${BASE}/audit-chain/verify`, csrf, 'Verify the audit chain')}
</div>`;
}

function actorOf(entry: AuditLogEntryView): string {
  const actor = (entry.event.actor ?? {}) as { type?: unknown; id?: unknown };
  return `${String(actor.type ?? '')}${actor.id ? `: ${String(actor.id)}` : ''}`;
}

function resultsTable(page: AuditSearchPage): string {
  if (page.entries.length === 0) return '<p>No events match this search.</p>';
  return auditEntriesTable(page.entries, `Events, newest first (${page.entries.length} on this page)`);
}

/** Audit-log entries as a table (seq, when, type, actor, TPP, PSU, consent, the redacted data). */
export function auditEntriesTable(entries: AuditLogEntryView[], caption: string): string {
  const rows = entries
    .map(
      (entry) => `<tr>
<td>${escapeHtml(entry.seq)}</td>
<td>${escapeHtml(formatInstant(new Date(entry.occurredAt)))}</td>
<td>${escapeHtml(entry.type)}</td>
<td>${escapeHtml(actorOf(entry))}</td>
<td>${entry.clientId ? `<code>${escapeHtml(entry.clientId)}</code>` : ''}</td>
<td>${entry.psuId ? `<code>${escapeHtml(entry.psuId)}</code>` : ''}</td>
<td>${entry.consentId ? `<code>${escapeHtml(entry.consentId)}</code>` : ''}</td>
<td><code>${escapeHtml(JSON.stringify(entry.event.data ?? {}))}</code></td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap">
<table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">Seq</th><th scope="col">When</th><th scope="col">Type</th><th scope="col">Actor</th><th scope="col">TPP</th><th scope="col">PSU</th><th scope="col">Consent</th><th scope="col">Details</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
}

function pager(page: AuditSearchPage, values: AuditFilterValues): string {
  const links = [
    page.newer ? `<a href="${BASE}/events?${escapeHtml(filterQuery(values, { after: page.newer }))}" rel="prev">Previous page (newer events)</a>` : '',
    page.older ? `<a href="${BASE}/events?${escapeHtml(filterQuery(values, { before: page.older }))}" rel="next">Next page (older events)</a>` : '',
  ].filter(Boolean);
  return links.length > 0 ? `<nav class="pager" aria-label="Pages of events">${links.join('\n')}</nav>` : '';
}

export interface AuditEventsView {
  username: string;
  csrf: string;
  roles: readonly AdminRole[] | undefined;
  parsed: ParsedAuditFilter;
  /** Null while the filter has errors. */
  page: AuditSearchPage | null;
}

export function auditEventsPage(view: AuditEventsView): string {
  const errors = Object.keys(view.parsed.errors).length;
  const body = `${consoleNav('events', view.roles)}
<h1>Audit trail</h1>
${errors > 0 ? alertBox(`Correct ${errors === 1 ? 'the field' : `the ${errors} fields`} marked below to search.`) : ''}
${searchForm(view.parsed)}
${view.page ? `${toolbar(view.parsed, view.csrf)}\n${resultsTable(view.page)}\n${pager(view.page, view.parsed.values)}` : ''}`;
  return layout('Audit trail', body, signedInHeader(view.username, view.csrf));
}

export function chainVerificationPage(username: string, csrf: string, result: AuditChainVerificationResult): string {
  const outcome = result.intact
    ? alertBox(`The audit chain is intact: ${result.entries} entries verified${result.fromSeq ? ` from entry ${result.fromSeq} (older entries were archived)` : ''}.`, 'success')
    : alertBox(`The audit chain is broken at entry ${result.firstBrokenSeq}: ${result.reason}. ${result.entries} entries before it verified.`);
  const details = `<dl>
<dt>Verified at</dt><dd>${escapeHtml(formatInstant(new Date(result.verifiedAt)))}</dd>
${result.headHash ? `<dt>Head hash</dt><dd><code>${escapeHtml(result.headHash)}</code></dd>` : ''}
${result.firstBrokenSeq ? `<dt>First broken entry</dt><dd><a href="${BASE}/events?${escapeHtml(filterQuery({ type: '', clientId: '', psuId: '', consentId: '', from: '', to: '' }, { before: String(BigInt(result.firstBrokenSeq) + 1n) }))}">${escapeHtml(result.firstBrokenSeq)}</a></dd>` : ''}
</dl>`;
  return layout(
    'Audit chain verification',
    `<h1>Audit chain verification</h1>
<section class="verification" aria-label="Result">
${outcome}
${details}
</section>
<p class="muted">The check recomputes every entry's SHA-256 over its content and the previous entry's hash. The worker's signed checkpoints are checked by <code>npm run audit:verify</code>.</p>
<p><a href="${BASE}/events">Back to the audit trail</a></p>`,
    signedInHeader(username, csrf),
  );
}

