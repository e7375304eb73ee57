/**
 * The HTML kit of the API's server-rendered pages (customer dashboard, admin console): one layout, one
 * escaper every value goes through, and a strict CSP that loads nothing but our own stylesheet.
 */

// No script at all, nothing framing us (clickjacking on the revoke button), forms post to ourselves
// only, and the stylesheet from our own origin.
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// The dashboard's pages add one same-origin script (the live alert feed) and its event stream; still no inline script.
export const DASHBOARD_PAGE_CSP = `${PAGE_CSP}; script-src 'self'; connect-src 'self'`;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. Everything shown goes through it. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** An instant as people read it, always in UTC so the admin console and the log agree. */
export function formatInstant(date: Date | null): string {
  if (!date) return '';
  return `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`;
}

export interface PageLayout {
  title: string;
  /** Already escaped HTML of the page's main content. */
  body: string;
  stylesheet: string;
  /** Already escaped HTML of the header's right side (who is signed in, sign-out form). */
  header?: string;
  /** Name of the application shown in the banner. */
  application: string;
  /** Forms alone read better in a narrow column. */
  narrow?: boolean;
  /** A same-origin script file (never inline), for pages whose CSP allows it. */
  script?: string;
}

export function renderPage(page: PageLayout): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(page.title)} · ${escapeHtml(page.application)}</title>
<link rel="stylesheet" href="${escapeHtml(page.stylesheet)}">
${page.script ? `<script src="${escapeHtml(page.script)}" defer></script>\n` : ''}</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="banner">
<p class="brand">${escapeHtml(page.application)}</p>
${page.header ?? ''}
</header>
<main id="main" tabindex="-1"${page.narrow ? ' class="narrow"' : ''}>
${page.body}
</main>
</body>
</html>
`;
}

/** A message the reader must notice: announced by screen readers as soon as the page loads. */
export function alertBox(message: string | undefined, kind: 'error' | 'success' = 'error'): string {
  if (!message) return '';
  return `<p class="${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${escapeHtml(message)}</p>`;
}

/** A POST form carrying the CSRF token, with one submit button. */
export function postButton(action: string, csrf: string, label: string, options: { className?: string; hiddenLabel?: string } = {}): string {
  const hidden = options.hiddenLabel ? `<span class="visually-hidden"> ${escapeHtml(options.hiddenLabel)}</span>` : '';
  return `<form method="post" action="${escapeHtml(action)}" class="inline-form">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit"${options.className ? ` class="${escapeHtml(options.className)}"` : ''}>${escapeHtml(label)}${hidden}</button>
</form>`;
}

export interface LoginFormView {
  action: string;
  csrf: string;
  heading: string;
  intro: string;
  username?: string;
  error?: string;
}

/** Username, password and one-time code in one step: two factors (PSD2 RTS Art. 4). */
export function loginForm(view: LoginFormView): string {
  return `<h1>${escapeHtml(view.heading)}</h1>
<p>${escapeHtml(view.intro)}</p>
${alertBox(view.error)}
<form method="post" action="${escapeHtml(view.action)}" autocomplete="off" class="stacked">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required maxlength="128" value="${escapeHtml(view.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<label for="otp">One-time code</label>
<p class="hint" id="otp-hint">The 6-digit code from your authenticator app.</p>
<input id="otp" name="otp" type="text" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" aria-describedby="otp-hint" required>
<button type="submit">Sign in</button>
</form>`;
}

/** A dead end: say what happened and where to go, without any detail of the error. */
export function problemBody(heading: string, message: string, back: { href: string; label: string }): string {
  return `<h1>${escapeHtml(heading)}</h1>
<p>${escapeHtml(message)}</p>
<p><a href="${escapeHtml(back.href)}">${escapeHtml(back.label)}</a></p>`;
}
