import { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';

import { escapeHtml, PAGE_CSP, renderPage } from '../interactions/interaction.views.js';

/** Error codes whose description is ours or the protocol's and safe to show the user. */
const SHOWN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'unauthorized_client',
  'invalid_redirect_uri',
  'invalid_request_uri',
  'invalid_request_object',
  'unsupported_response_type',
  'invalid_scope',
  'access_denied',
  'login_required',
  'consent_required',
  'invalid_target',
  'session_not_found',
]);

function applyPageHeaders(ctx: KoaContextWithOIDC): void {
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.set('content-security-policy', PAGE_CSP);
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
}

/**
 * The page the provider shows when it cannot redirect an error back to the TPP (unknown client, bad
 * redirect_uri, expired interaction). Shows the OAuth error code and, for known codes, its description;
 * never a stack trace or an internal message (a 500 is answered generically).
 */
export function renderProviderError(ctx: KoaContextWithOIDC, out: ErrorOut, _error: Error): void {
  applyPageHeaders(ctx);
  const known = SHOWN_ERRORS.has(out.error);
  const description = known && out.error_description ? out.error_description : 'The request could not be completed.';
  ctx.body = renderPage({
    title: 'Something went wrong',
    body: `<h1>Something went wrong</h1>
<p>${escapeHtml(description)}</p>
<p>Return to the app you came from and try again.</p>
${known ? `<p class="muted">Error: ${escapeHtml(out.error)}</p>` : ''}`,
  });
}

/** RP-initiated logout confirmation (OIDC RP-Initiated Logout 1.0): the provider's form, our page. */
export function renderLogoutPage(ctx: KoaContextWithOIDC, form: string): void {
  applyPageHeaders(ctx);
  // `form` is the provider's own hidden form (id "op.logoutForm") with its xsrf token.
  ctx.body = renderPage({
    title: 'Sign out',
    body: `<h1>Sign out of ${escapeHtml(ctx.host)}?</h1>
${form}
<div class="actions">
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>
</div>`,
  });
}

export function renderLogoutSuccessPage(ctx: KoaContextWithOIDC): void {
  applyPageHeaders(ctx);
  ctx.body = renderPage({ title: 'Signed out', body: '<h1>You are signed out</h1><p>You can close this window.</p>' });
}
