import { ConsentStatus } from '@consentry/database';

import { DashboardConsent } from './dashboard.service.js';
import { alertBox, escapeHtml, formatInstant, loginForm, postButton, renderPage } from './page-html.js';
import { PageRealm, stylesheetOf } from './page-realm.js';

export const DASHBOARD_REALM: PageRealm = {
  realm: 'customer',
  basePath: '/dashboard',
  application: 'Consentry · Connected apps',
  cookieName: 'consentry-dashboard',
};

/** Messages the dashboard may show after a redirect, by key: no text from the URL is ever shown. */
export const DASHBOARD_NOTICES = {
  revoked: { kind: 'success', text: 'Access withdrawn. The app can no longer see your information.' },
  not_revocable: { kind: 'error', text: 'That access has already ended, so there was nothing to withdraw.' },
  signed_out: { kind: 'success', text: 'You have signed out.' },
} as const;

export type DashboardNotice = keyof typeof DASHBOARD_NOTICES;

export function isDashboardNotice(value: unknown): value is DashboardNotice {
  return typeof value === 'string' && Object.hasOwn(DASHBOARD_NOTICES, value);
}

function notice(key: DashboardNotice | undefined): string {
  if (!key) return '';
  const { kind, text } = DASHBOARD_NOTICES[key];
  return alertBox(text, kind);
}

function statusLabel(consent: DashboardConsent): { text: string; className: string } {
  const byStatus: Record<ConsentStatus, string> = {
    AWAU: 'Waiting for your approval',
    AUTH: 'Active',
    RJCT: 'Refused',
    CANC: 'Withdrawn',
    EXPD: 'Expired',
  };
  // Authorised but past its end date, not yet swept by the expiry job: it is not usable any more.
  if (consent.status === 'AUTH' && !consent.live) return { text: 'Expired', className: 'status status-ended' };
  return { text: byStatus[consent.status], className: consent.live ? 'status status-live' : 'status status-ended' };
}

function dateRow(term: string, value: string): string {
  return `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`;
}

function consentCard(consent: DashboardConsent, csrf: string, index: number): string {
  const status = statusLabel(consent);
  const headingId = `consent-${index}-heading`;
  const permissions = consent.permissions.map((p) => `<li><strong>${escapeHtml(p.title)}</strong>: ${escapeHtml(p.description)}</li>`).join('\n');
  const accounts = consent.accounts.map((a) => `<li>${escapeHtml(a.name)} · ${escapeHtml(a.bank)} <span class="muted">(${escapeHtml(a.currency)})</span></li>`).join('\n');
  const revoke = consent.live
    ? postButton(`${DASHBOARD_REALM.basePath}/consents/${encodeURIComponent(consent.consentId)}/revoke`, csrf, 'Revoke access', {
        className: 'danger',
        hiddenLabel: `for ${consent.tppName}`,
      })
    : '';
  return `<li class="consent">
<section aria-labelledby="${headingId}">
<h2 id="${headingId}">${escapeHtml(consent.tppName)}</h2>
<p><span class="${status.className}">${escapeHtml(status.text)}</span></p>
<h3>What ${escapeHtml(consent.tppName)} ${consent.live ? 'can see' : 'could see'}</h3>
<ul>
${permissions || '<li>Nothing</li>'}
</ul>
<h3>Accounts shared</h3>
<ul>
${accounts || '<li>No accounts</li>'}
</ul>
<dl>
${dateRow('Granted', consent.grantedAt ? escapeHtml(formatInstant(consent.grantedAt)) : 'Not granted')}
${dateRow('Expires', consent.expiresAt ? escapeHtml(formatInstant(consent.expiresAt)) : 'No end date')}
${consent.endedAt ? dateRow('Ended', escapeHtml(formatInstant(consent.endedAt))) : ''}
${dateRow('Last access', consent.lastAccessedAt ? escapeHtml(formatInstant(consent.lastAccessedAt)) : 'Never used')}
${dateRow('Reference', `<code>${escapeHtml(consent.consentId)}</code>`)}
</dl>
${revoke}
</section>
</li>`;
}

/** The dashboard's sections; the current one is marked for screen readers. */
export function dashboardNav(current: 'accounts' | 'payments' | 'alerts'): string {
  const link = (key: 'accounts' | 'payments' | 'alerts', href: string, label: string) =>
    `<a href="${href}"${key === current ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<nav class="pager" aria-label="Dashboard">
${link('accounts', DASHBOARD_REALM.basePath, 'Account access')}
${link('payments', `${DASHBOARD_REALM.basePath}/payments`, 'Payments')}
${link('alerts', `${DASHBOARD_REALM.basePath}/alerts`, 'Alerts')}
</nav>`;
}

export function signedInHeader(displayName: string, csrf: string): string {
  return `<p class="who">Signed in as <strong>${escapeHtml(displayName)}</strong>
${postButton(`${DASHBOARD_REALM.basePath}/logout`, csrf, 'Sign out', { className: 'secondary' })}</p>`;
}

export interface DashboardView {
  displayName: string;
  csrf: string;
  /** One page of the PSU's consents, newest first. */
  consents: DashboardConsent[];
  /** All of the PSU's consents, and those live now, whatever the page. */
  counts: { total: number; live: number };
  /** Cursor of the next (older) page, if any. */
  next: string | null;
  /** This is not the first page. */
  paged: boolean;
  notice?: DashboardNotice;
}

export function dashboardPage(view: DashboardView): string {
  const { total, live } = view.counts;
  const summary =
    total === 0
      ? '<p>You have not shared your account information with any app.</p>'
      : `<p>${live} active, ${total - live} ended. Revoke access at any time: the app is refused from its very next request.</p>`;
  const pager = [
    view.paged ? `<a href="${DASHBOARD_REALM.basePath}">Newest consents</a>` : '',
    view.next ? `<a href="${DASHBOARD_REALM.basePath}?cursor=${encodeURIComponent(view.next)}" rel="next">Older consents</a>` : '',
  ].filter(Boolean);
  return renderPage({
    title: 'Apps you share your accounts with',
    application: DASHBOARD_REALM.application,
    stylesheet: stylesheetOf(DASHBOARD_REALM),
    header: signedInHeader(view.displayName, view.csrf),
    body: `${dashboardNav('accounts')}
<h1>Apps you share your accounts with</h1>
${notice(view.notice)}
${summary}
<ul class="consents">
${view.consents.map((consent, i) => consentCard(consent, view.csrf, i)).join('\n')}
</ul>
${pager.length > 0 ? `<nav class="pager" aria-label="Pages of consents">${pager.join('\n')}</nav>` : ''}`,
  });
}

export interface DashboardLoginView {
  csrf: string;
  username?: string;
  error?: string;
  notice?: DashboardNotice;
}

export function dashboardLoginPage(view: DashboardLoginView): string {
  return renderPage({
    title: 'Sign in',
    narrow: true,
    application: DASHBOARD_REALM.application,
    stylesheet: stylesheetOf(DASHBOARD_REALM),
    body: `${notice(view.notice)}
${loginForm({
  action: `${DASHBOARD_REALM.basePath}/login`,
  csrf: view.csrf,
  heading: 'Sign in to see your connected apps',
  intro: 'See which apps can read your bank accounts, and withdraw their access. Sign in with your password and the code from your authenticator app.',
  username: view.username,
  error: view.error,
})}`,
  });
}
