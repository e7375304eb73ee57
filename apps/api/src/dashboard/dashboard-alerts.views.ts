import type { AlertPreferences } from '@consentry/alerts';

import { DashboardAlert } from './dashboard-alerts.service.js';
import { AlertPreferencesForm } from './dashboard-alerts.service.js';
import { DASHBOARD_REALM, dashboardNav } from './dashboard.views.js';
import { alertBox, escapeHtml, formatInstant, postButton, renderPage } from './page-html.js';
import { stylesheetOf } from './page-realm.js';
import { PageException, PageExceptionCode } from './page.exception.js';

/**
 * The dashboard's own CSP: the pages' policy plus one same-origin script (the live alert feed) and
 * connections to ourselves only (its event stream). Still no inline script.
 */
export const DASHBOARD_ALERTS_SCRIPT = `${DASHBOARD_REALM.basePath}/assets/alerts.js`;

export const DASHBOARD_ALERT_NOTICES = {
  read: { kind: 'success', text: 'Marked as read.' },
  saved: { kind: 'success', text: 'Your alert choices are saved.' },
} as const;

export type DashboardAlertNotice = keyof typeof DASHBOARD_ALERT_NOTICES;

export function isDashboardAlertNotice(value: unknown): value is DashboardAlertNotice {
  return typeof value === 'string' && Object.hasOwn(DASHBOARD_ALERT_NOTICES, value);
}

export interface DashboardAlertsView {
  header: string;
  csrf: string;
  alerts: DashboardAlert[];
  unread: number;
  next: string | null;
  preferences: AlertPreferences;
  notice?: DashboardAlertNotice;
}

export function alertItem(alert: DashboardAlert, csrf: string): string {
  const read = alert.read
    ? '<span class="status status-ended">Read</span>'
    : `<span class="status status-live">New</span> ${postButton(`${DASHBOARD_REALM.basePath}/alerts/${encodeURIComponent(alert.alertId)}/read`, csrf, 'Mark as read', { className: 'secondary', hiddenLabel: alert.title })}`;
  return `<li class="alert-item" data-alert-id="${escapeHtml(alert.alertId)}">
<h3>${escapeHtml(alert.title)}</h3>
<p>${escapeHtml(alert.body)}</p>
<p class="muted">${escapeHtml(formatInstant(alert.createdAt))} ${read}</p>
</li>`;
}

function preferencesForm(preferences: AlertPreferences, csrf: string): string {
  const box = (channel: 'dashboard' | 'email', label: string) =>
    `<label><input type="checkbox" name="channels" value="${channel}"${preferences.channels.includes(channel) ? ' checked' : ''}> ${escapeHtml(label)}</label>`;
  return `<section aria-labelledby="preferences-heading">
<h2 id="preferences-heading">Your alert choices</h2>
<form method="post" action="${DASHBOARD_REALM.basePath}/alerts/preferences" class="stacked">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<fieldset><legend>Where we tell you</legend>
${box('dashboard', 'On this dashboard')}
${box('email', 'By email')}
</fieldset>
<label for="paymentThreshold">Tell me about payments of at least</label>
<p class="hint" id="threshold-hint">An amount such as 250.00, in the payment's currency. Leave it empty for no payment alerts.</p>
<input id="paymentThreshold" name="paymentThreshold" type="text" inputmode="decimal" maxlength="20" pattern="[0-9]{1,13}([.][0-9]{1,5})?" aria-describedby="threshold-hint" value="${escapeHtml(preferences.paymentThreshold ?? '')}">
<button type="submit">Save my choices</button>
</form>
</section>`;
}

export function dashboardAlertsPage(view: DashboardAlertsView): string {
  const notice = view.notice ? alertBox(DASHBOARD_ALERT_NOTICES[view.notice].text, DASHBOARD_ALERT_NOTICES[view.notice].kind) : '';
  const readAll =
    view.unread > 0 ? postButton(`${DASHBOARD_REALM.basePath}/alerts/read-all`, view.csrf, 'Mark all as read', { className: 'secondary' }) : '';
  const more = view.next ? `<nav class="pager" aria-label="Older alerts"><a href="${DASHBOARD_REALM.basePath}/alerts?cursor=${encodeURIComponent(view.next)}">Older alerts</a></nav>` : '';
  return renderPage({
    title: 'Your alerts',
    application: DASHBOARD_REALM.application,
    stylesheet: stylesheetOf(DASHBOARD_REALM),
    header: view.header,
    script: DASHBOARD_ALERTS_SCRIPT,
    body: `${dashboardNav('alerts')}
<h1>Your alerts</h1>
${notice}
<p id="alert-summary" role="status" aria-live="polite"><span id="alert-unread">${view.unread}</span> unread. New alerts appear here as they happen.</p>
${readAll}
<ul class="consents" id="alert-list" data-csrf="${escapeHtml(view.csrf)}" data-read-action="${DASHBOARD_REALM.basePath}/alerts/">
${view.alerts.map((alert) => alertItem(alert, view.csrf)).join('\n')}
</ul>
${view.alerts.length === 0 ? '<p id="alert-empty">No alerts yet.</p>' : ''}
${more}
${preferencesForm(view.preferences, view.csrf)}`,
  });
}

/** The preferences form: checkbox values may repeat (one per ticked box); everything bounded. */
export function parseAlertPreferencesForm(body: unknown): AlertPreferencesForm & { csrf: string } {
  const form = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (name: string, max: number): string => {
    const value = form[name];
    if (value === undefined) return '';
    if (typeof value !== 'string' || value.length > max) throw new PageException(PageExceptionCode.InvalidForm, `${name} is not valid`);
    return value;
  };
  const raw = form['channels'];
  const channels = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (channels.length > 2 || channels.some((channel) => typeof channel !== 'string' || channel.length > 16) || new Set(channels).size !== channels.length) {
    throw new PageException(PageExceptionCode.InvalidForm, 'channels is not valid');
  }
  const unknownField = Object.keys(form).find((name) => !['csrf', 'channels', 'paymentThreshold'].includes(name));
  if (unknownField) throw new PageException(PageExceptionCode.InvalidForm, 'the form has an unknown field');
  return { csrf: text('csrf', 128), channels: channels as string[], paymentThreshold: text('paymentThreshold', 20) };
}

/**
 * The live feed, served as a same-origin file: listens to the alert stream and adds each new alert at
 * the top of the list with textContent only (nothing from the stream is ever parsed as HTML).
 */
export const DASHBOARD_ALERTS_JS = `'use strict';
(function () {
  var list = document.getElementById('alert-list');
  if (!list || typeof EventSource === 'undefined') return;
  var unread = document.getElementById('alert-unread');
  var stream = new EventSource('${DASHBOARD_REALM.basePath}/alerts/stream');
  // The stream's headers leave the server once it subscribed: from here on no new alert is missed.
  stream.addEventListener('open', function () { list.setAttribute('data-live', 'on'); });
  stream.addEventListener('error', function () { list.setAttribute('data-live', 'off'); });
  stream.addEventListener('alert', function (event) {
    var alert = JSON.parse(event.data);
    if (list.querySelector('[data-alert-id="' + alert.alertId + '"]')) return;
    var item = document.createElement('li');
    item.className = 'alert-item';
    item.setAttribute('data-alert-id', alert.alertId);
    var title = document.createElement('h3');
    title.textContent = alert.title;
    var body = document.createElement('p');
    body.textContent = alert.body;
    var meta = document.createElement('p');
    meta.className = 'muted';
    var status = document.createElement('span');
    status.className = 'status status-live';
    status.textContent = 'New';
    meta.textContent = new Date(alert.createdAt).toUTCString() + ' ';
    meta.appendChild(status);
    var form = document.createElement('form');
    form.method = 'post';
    form.className = 'inline-form';
    form.action = list.getAttribute('data-read-action') + encodeURIComponent(alert.alertId) + '/read';
    var csrf = document.createElement('input');
    csrf.type = 'hidden';
    csrf.name = 'csrf';
    csrf.value = list.getAttribute('data-csrf');
    var button = document.createElement('button');
    button.type = 'submit';
    button.className = 'secondary';
    button.textContent = 'Mark as read';
    form.appendChild(csrf);
    form.appendChild(button);
    meta.appendChild(form);
    item.appendChild(title);
    item.appendChild(body);
    item.appendChild(meta);
    list.insertBefore(item, list.firstChild);
    var empty = document.getElementById('alert-empty');
    if (empty) empty.remove();
    if (unread) unread.textContent = String(Number(unread.textContent) + 1);
  });
})();
`;
