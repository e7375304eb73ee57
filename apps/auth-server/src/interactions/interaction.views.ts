import { ConsentTermLine, describeVrpLimit, describeVrpType, formatPaymentAmount, PermissionGroup } from '@consentry/consents';
import { maskPan, redactText } from '@consentry/redaction';
import { writeOutUnprintable } from '@consentry/validation';

/** Path of the pages' only stylesheet (served by AssetsController; no inline styles, no third parties). */
export const STYLESHEET_PATH = '/assets/interaction.css';

// Strict CSP for every page: nothing but our own stylesheet loads, nothing frames us (clickjacking on the
// consent button), no script at all. `form-action` is left out on purpose: browsers apply it to the
// redirects after a form post, and the approve/deny post ends in a redirect to the TPP's redirect_uri.
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. Everything shown goes through it. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export function renderPage(page: { title: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(page.title)} · Consentry</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main>
${page.body}
</main>
</body>
</html>
`;
}

function alert(message: string | undefined): string {
  return message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '';
}

function formatInstant(date: Date): string {
  return `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`;
}

function denyForm(uid: string, csrf: string, label: string): string {
  return `<form method="post" action="/interaction/${escapeHtml(uid)}/abort" class="secondary-form">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit" class="secondary">${escapeHtml(label)}</button>
</form>`;
}

export interface LoginView {
  uid: string;
  csrf: string;
  tppName: string;
  /** What the TPP asks for: to read account information (the default) or to make a payment. */
  asks?: 'information' | 'payment';
  username?: string;
  error?: string;
}

/** Username, password and one-time code in one step: PSD2 RTS Art. 4 (knowledge + possession). */
export function loginPage(view: LoginView): string {
  const uid = escapeHtml(view.uid);
  return renderPage({
    title: 'Sign in',
    body: `<h1>Sign in to your bank</h1>
<p><strong>${escapeHtml(view.tppName)}</strong> ${view.asks === 'payment' ? 'is asking you to approve a payment' : 'is asking to see information from your accounts'}. Sign in with your password and the 6-digit code from your authenticator app.</p>
${alert(view.error)}
<form method="post" action="/interaction/${uid}/login" autocomplete="off">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="${escapeHtml(view.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="otp">One-time code</label>
<input id="otp" name="otp" type="text" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required>
<button type="submit">Sign in</button>
</form>
${denyForm(view.uid, view.csrf, 'Cancel and return to the app')}`,
  });
}

export interface ConsentAccountView {
  accountId: string;
  aspspName: string;
  nickname: string | null;
  description: string | null;
  accountTypeCode: string;
  currency: string;
}

export interface ConsentView {
  uid: string;
  csrf: string;
  tppName: string;
  psuName: string;
  permissions: PermissionGroup[];
  expirationDateTime: Date | null;
  transactionFromDateTime: Date | null;
  transactionToDateTime: Date | null;
  accounts: ConsentAccountView[];
  /** Accounts ticked when the page is shown again after a problem. */
  selected?: string[];
  error?: string;
}

export function consentPage(view: ConsentView): string {
  const tpp = escapeHtml(view.tppName);
  const selected = new Set(view.selected ?? []);
  const period =
    view.transactionFromDateTime || view.transactionToDateTime
      ? `<p>Transactions ${view.transactionFromDateTime ? `from ${escapeHtml(formatInstant(view.transactionFromDateTime))}` : ''} ${view.transactionToDateTime ? `until ${escapeHtml(formatInstant(view.transactionToDateTime))}` : ''}.</p>`
      : '';
  const accounts = view.accounts
    .map((account, i) => {
      const name = account.nickname ?? account.description ?? account.accountTypeCode;
      const detail = [account.description, account.currency].filter(Boolean).join(', ');
      return `<div class="account">
<input type="checkbox" id="account-${i}" name="accountIds" value="${escapeHtml(account.accountId)}"${selected.has(account.accountId) ? ' checked' : ''}>
<label for="account-${i}"><strong>${escapeHtml(name)}</strong> · ${escapeHtml(account.aspspName)} <span class="muted">(${escapeHtml(detail)})</span></label>
</div>`;
    })
    .join('\n');
  return renderPage({
    title: `Share your information with ${view.tppName}`,
    body: `<h1>Share your account information with ${tpp}?</h1>
<p class="muted">Signed in as ${escapeHtml(view.psuName)}</p>
${alert(view.error)}
<h2>What ${tpp} will see</h2>
<ul class="permissions">
${view.permissions.map((p) => `<li><strong>${escapeHtml(p.title)}</strong>: ${escapeHtml(p.description)}</li>`).join('\n')}
</ul>
<p>${view.expirationDateTime ? `Access ends on ${escapeHtml(formatInstant(view.expirationDateTime))}` : 'Access has no end date'}; you can withdraw it at any time.</p>
${period}
<form method="post" action="/interaction/${escapeHtml(view.uid)}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<fieldset>
<legend>Choose the accounts to share</legend>
${accounts || '<p>You have no accounts to share.</p>'}
</fieldset>
<button type="submit">Approve</button>
</form>
${denyForm(view.uid, view.csrf, 'Deny')}`,
  });
}

/** An account the PSU may pay from, shown by the last four digits of its number. */
export interface PaymentAccountView extends ConsentAccountView {
  lastDigits: string;
}

export interface PaymentView {
  uid: string;
  csrf: string;
  tppName: string;
  psuName: string;
  /** Decimal string and ISO currency code, exactly as the consent holds them. */
  amount: string;
  currency: string;
  /** As the TPP wrote it: the page masks any card or account number in it (tppText), as it does the reference. */
  payeeName: string;
  payeeScheme: string;
  payeeIdentification: string;
  /** The payee's SecondaryIdentification (a roll number), when the consent names one. */
  payeeSecondaryIdentification: string | null;
  /** The EndToEndIdentification; empty for a standing order, which names none (no line is shown then). */
  reference: string;
  /** The remittance lines (RemittanceInformation.Unstructured, joined), what the payee reads; null when none. */
  remittance: string | null;
  /** When a scheduled payment runs; null for a payment made now. */
  executesOn: Date | null;
  /** A standing order's schedule in words (describeStandingOrder): shown instead of the single amount. */
  schedule: ConsentTermLine[] | null;
  /** The accounts that can make the payment; one (pre-selected) when the TPP named it. */
  accounts: PaymentAccountView[];
  /** The TPP named the debtor account: the PSU confirms it rather than choosing. */
  debtorNamed: boolean;
  error?: string;
}

/**
 * The payee's account as the consent names it, as people read it: a UK sort code and account number whole
 * (12-34-56 12345678), the payee the PSU approves (PSD2 RTS Art. 5); a card number with its first six and
 * last four digits only (PCI DSS 3.4.1), which tell the PSU which card; other schemes as they are.
 */
function readableAccount(scheme: string, identification: string): string {
  if (scheme === 'UK.OBIE.SortCodeAccountNumber' && /^\d{14}$/.test(identification)) {
    return `${identification.slice(0, 2)}-${identification.slice(2, 4)}-${identification.slice(4, 6)} ${identification.slice(6)}`;
  }
  if (scheme === 'UK.OBIE.PAN') return maskPan(identification);
  // A scheme whose identification has no one form says what it is: a wallet written "40-40-04 12345678"
  // must not read as that sort code and account number. A code point that does not print as itself is
  // written out: the API refuses them since 7 December 2026, a consent stored before shows what it holds.
  const label = SCHEME_LABELS[scheme];
  return `${label ? `${label}: ` : ''}${writeOutUnprintable(identification)}`;
}

/** What the approval pages call the schemes whose identifications look like any other text. */
const SCHEME_LABELS: Readonly<Record<string, string>> = { 'UK.OBIE.BBAN': 'BBAN', 'UK.OBIE.Paym': 'Paym', 'UK.OBIE.Wallet': 'Wallet' };

/**
 * The payee's SecondaryIdentification line of a payment page, when the consent names one: whole, as the
 * account is (often all digits, a roll number masked to its last four would not tell two payees apart).
 */
function secondaryIdentificationLine(secondary: string | null): string {
  return secondary === null ? '' : `\n<dt>Roll number or reference</dt><dd data-field="payee-secondary-identification">${escapeHtml(writeOutUnprintable(secondary))}</dd>`;
}

/**
 * Text the TPP wrote (the payee's name, the reference), escaped, with the card and account numbers in it
 * masked by the rule the audit log and the people's pages mask free text with (libs/redaction): a TPP can
 * put any number there, and the page is no place to show a whole one.
 */
function tppText(text: string): string {
  return escapeHtml(redactText(text));
}

/**
 * The payment approval page. PSD2 RTS Art. 5 (dynamic linking): the PSU sees exactly the amount, the
 * currency and the payee the authorisation is bound to, and the account it will be paid from.
 */
/** The debtor-account radio list of the payment pages: one account, pre-selected, when the TPP named it. */
function debtorAccountChoice(accounts: PaymentAccountView[]): string {
  return accounts
    .map((account, i) => {
      const name = account.nickname ?? account.description ?? account.accountTypeCode;
      return `<div class="account">
<input type="radio" id="account-${i}" name="accountIds" value="${escapeHtml(account.accountId)}"${accounts.length === 1 ? ' checked' : ''} required>
<label for="account-${i}"><strong>${escapeHtml(name)}</strong> · ${escapeHtml(account.aspspName)} <span class="muted">(ending ${escapeHtml(account.lastDigits)}, ${escapeHtml(account.currency)})</span></label>
</div>`;
    })
    .join('\n');
}

/** Dates and times as a UK PSU reads them (Europe/London). */
const londonDateTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'long', timeStyle: 'short' });

export function formatLondonDateTime(at: Date): string {
  return londonDateTime.format(at);
}

export function paymentPage(view: PaymentView): string {
  const tpp = escapeHtml(view.tppName);
  const accounts = debtorAccountChoice(view.accounts);
  const approve = view.accounts.length > 0 ? '<button type="submit">Approve payment</button>' : '';
  return renderPage({
    title: `Approve a payment for ${view.tppName}`,
    body: `<h1>${view.schedule ? 'Approve this standing order?' : 'Approve this payment?'}</h1>
<p class="muted">Signed in as ${escapeHtml(view.psuName)}</p>
${alert(view.error)}
<p><strong>${tpp}</strong> asks you to make this payment:</p>
<dl class="payment">
${
  view.schedule
    ? view.schedule.map((line) => `<dt>${escapeHtml(line.term)}</dt><dd data-field="${line.field}">${escapeHtml(line.value)}</dd>`).join('\n')
    : `<dt>Amount</dt><dd data-field="amount">${escapeHtml(formatPaymentAmount(view.amount, view.currency))}</dd>`
}
<dt>To</dt><dd data-field="payee-name">${tppText(view.payeeName)}</dd>
<dt>Payee account</dt><dd data-field="payee-account">${escapeHtml(readableAccount(view.payeeScheme, view.payeeIdentification))}</dd>${secondaryIdentificationLine(view.payeeSecondaryIdentification)}
${view.reference === '' ? '' : `<dt>Reference</dt><dd data-field="reference">${tppText(view.reference)}</dd>`}
${view.remittance === null ? '' : `<dt>Message to the payee</dt><dd data-field="remittance">${tppText(view.remittance)}</dd>`}
${view.executesOn ? `<dt>On</dt><dd data-field="execution-date">${escapeHtml(londonDateTime.format(view.executesOn))}</dd>` : ''}
</dl>
<form method="post" action="/interaction/${escapeHtml(view.uid)}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<fieldset>
<legend>${view.debtorNamed ? 'The account to pay from' : 'Choose the account to pay from'}</legend>
${accounts || '<p>You have no account that can make this payment.</p>'}
</fieldset>
${approve}
</form>
${denyForm(view.uid, view.csrf, 'Deny')}`,
  });
}

export interface FundsConfirmationView {
  uid: string;
  csrf: string;
  tppName: string;
  psuName: string;
  /** The PSU's account the consent names (a funds-confirmation consent always names one). */
  account: PaymentAccountView;
  expirationDateTime: Date | null;
  error?: string;
}

/**
 * The confirmation-of-funds approval page (PSD2 Art. 65): the one account the CBPII named, and until when
 * it may ask. The account is fixed by the consent: there is nothing to choose.
 */
export function fundsConfirmationPage(view: FundsConfirmationView): string {
  const tpp = escapeHtml(view.tppName);
  const account = view.account;
  const name = account.nickname ?? account.description ?? account.accountTypeCode;
  return renderPage({
    title: `Allow ${view.tppName} to confirm funds`,
    body: `<h1>Allow funds checks on your account?</h1>
<p class="muted">Signed in as ${escapeHtml(view.psuName)}</p>
${alert(view.error)}
<p><strong>${tpp}</strong> asks to check, when you pay with it, whether this account has enough money for a given amount. It gets a yes or a no, never your balance.</p>
<dl class="payment">
<dt>Account</dt><dd data-field="debtor-account">${escapeHtml(name)} · ${escapeHtml(account.aspspName)} (ending ${escapeHtml(account.lastDigits)}, ${escapeHtml(account.currency)})</dd>
<dt>Until</dt><dd data-field="expiry">${view.expirationDateTime ? escapeHtml(formatInstant(view.expirationDateTime)) : 'you withdraw it'}</dd>
</dl>
<form method="post" action="/interaction/${escapeHtml(view.uid)}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="accountIds" value="${escapeHtml(account.accountId)}">
<button type="submit">Allow</button>
</form>
${denyForm(view.uid, view.csrf, 'Deny')}`,
  });
}

/** One PeriodicLimit as the PSU reads it. */
export interface VrpLimitView {
  amount: string;
  currency: string;
  periodType: string;
  periodAlignment: 'Consent' | 'Calendar';
}

export interface VrpView {
  uid: string;
  csrf: string;
  tppName: string;
  psuName: string;
  vrpTypes: string[];
  maximumIndividualAmount: { amount: string; currency: string };
  periodicLimits: VrpLimitView[];
  validFrom: Date | null;
  validTo: Date | null;
  /** The creditor the consent names, or null when each payment names its own (Sweeping: the PSU's accounts). */
  payee: { name: string; scheme: string; identification: string; secondaryIdentification: string | null } | null;
  accounts: PaymentAccountView[];
  debtorNamed: boolean;
  error?: string;
}

/**
 * The VRP consent approval page. PSD2 RTS Art. 5 (dynamic linking): the PSU sees exactly the
 * ControlParameters (types, the most per payment, each periodic limit, the validity window) and the
 * payee the authorisation is bound to, and picks the account to pay from.
 */
export function vrpPage(view: VrpView): string {
  const tpp = escapeHtml(view.tppName);
  const limits = view.periodicLimits
    .map((l) => `<li data-field="periodic-limit">${escapeHtml(describeVrpLimit({ Amount: l.amount, Currency: l.currency, PeriodType: l.periodType, PeriodAlignment: l.periodAlignment }))}</li>`)
    .join('\n');
  const types = view.vrpTypes.map((type) => `<li data-field="vrp-type">${escapeHtml(describeVrpType(type))}</li>`).join('\n');
  const payee = view.payee
    ? `<dt>To</dt><dd data-field="payee-name">${tppText(view.payee.name)}</dd>
<dt>Payee account</dt><dd data-field="payee-account">${escapeHtml(readableAccount(view.payee.scheme, view.payee.identification))}</dd>${secondaryIdentificationLine(view.payee.secondaryIdentification)}`
    : `<dt>To</dt><dd data-field="payee-name">${view.vrpTypes.every((t) => t === 'UK.OBIE.VRPType.Sweeping') ? 'Your own accounts' : 'The payee each payment names'}</dd>`;
  const approve = view.accounts.length > 0 ? '<button type="submit">Approve payments</button>' : '';
  return renderPage({
    title: `Approve variable recurring payments for ${view.tppName}`,
    body: `<h1>Approve these recurring payments?</h1>
<p class="muted">Signed in as ${escapeHtml(view.psuName)}</p>
${alert(view.error)}
<p><strong>${tpp}</strong> asks to make payments from your account, as often as needed, within these limits:</p>
<ul>
${types}
</ul>
<dl class="payment">
<dt>Most per payment</dt><dd data-field="maximum-individual-amount">${escapeHtml(formatPaymentAmount(view.maximumIndividualAmount.amount, view.maximumIndividualAmount.currency))}</dd>
<dt>Limits</dt><dd><ul class="permissions">
${limits}
</ul></dd>
${view.validFrom ? `<dt>From</dt><dd data-field="valid-from">${escapeHtml(londonDateTime.format(view.validFrom))}</dd>` : ''}
<dt>Until</dt><dd data-field="valid-to">${view.validTo ? escapeHtml(londonDateTime.format(view.validTo)) : 'You cancel it'}</dd>
${payee}
</dl>
<p class="muted">You can cancel this at any time from your dashboard.</p>
<form method="post" action="/interaction/${escapeHtml(view.uid)}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<fieldset>
<legend>${view.debtorNamed ? 'The account to pay from' : 'Choose the account to pay from'}</legend>
${debtorAccountChoice(view.accounts) || '<p>You have no account that can make these payments.</p>'}
</fieldset>
${approve}
</form>
${denyForm(view.uid, view.csrf, 'Deny')}`,
  });
}

export interface ReconfirmView {
  uid: string;
  csrf: string;
  tppName: string;
  psuName: string;
  permissions: PermissionGroup[];
  expirationDateTime: Date | null;
  /** When the PSU last authenticated for this consent (authorised or re-confirmed). */
  lastConfirmedAt: Date | null;
  /** The accounts already bound: shown, never chosen again (a re-confirmation adds none). */
  accounts: ConsentAccountView[];
  error?: string;
}

/**
 * The periodic re-confirmation of an authorised consent (PSD2 RTS Art. 10a, FCA SCA-RTS Art. 10A): the
 * same access, the same accounts, no checkboxes. Not confirming does not withdraw the access.
 */
export function reconfirmPage(view: ReconfirmView): string {
  const tpp = escapeHtml(view.tppName);
  const accounts = view.accounts
    .map((account) => {
      const name = account.nickname ?? account.description ?? account.accountTypeCode;
      const detail = [account.description, account.currency].filter(Boolean).join(', ');
      return `<li data-account-id="${escapeHtml(account.accountId)}"><strong>${escapeHtml(name)}</strong> · ${escapeHtml(account.aspspName)} <span class="muted">(${escapeHtml(detail)})</span></li>`;
    })
    .join('\n');
  return renderPage({
    title: `Confirm you still share your information with ${view.tppName}`,
    body: `<h1>Keep sharing your account information with ${tpp}?</h1>
<p class="muted">Signed in as ${escapeHtml(view.psuName)}</p>
${alert(view.error)}
<p>This is a re-confirmation of access you already gave${view.lastConfirmedAt ? ` (last confirmed on ${escapeHtml(formatInstant(view.lastConfirmedAt))})` : ''}. The rules for account information services ask you to confirm it from time to time; nothing about the access changes.</p>
<h2>What ${tpp} sees</h2>
<ul class="permissions">
${view.permissions.map((p) => `<li><strong>${escapeHtml(p.title)}</strong>: ${escapeHtml(p.description)}</li>`).join('\n')}
</ul>
<h2>The accounts you share</h2>
<ul class="accounts">
${accounts || '<li>No accounts.</li>'}
</ul>
<p>${view.expirationDateTime ? `Access ends on ${escapeHtml(formatInstant(view.expirationDateTime))}` : 'Access has no end date'}; you can withdraw it at any time from your bank's dashboard.</p>
<form method="post" action="/interaction/${escapeHtml(view.uid)}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<button type="submit">Confirm</button>
</form>
${denyForm(view.uid, view.csrf, 'Not now')}`,
  });
}

/** A dead end the PSU cannot fix here (expired journey, broken link): say what to do, show no detail. */
export function problemPage(message: string): string {
  return renderPage({
    title: 'Something went wrong',
    body: `<h1>Something went wrong</h1>
<p>${escapeHtml(message)}</p>
<p>Return to the app you came from and start again.</p>`,
  });
}

export const INTERACTION_STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
main{max-width:34rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.6rem;border:1px solid #8a9099;border-radius:4px;font:inherit}
input:focus,button:focus{outline:3px solid #1d70b8;outline-offset:1px}
fieldset{border:1px solid #d0d4da;border-radius:4px;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.account{display:flex;gap:.6rem;align-items:flex-start;margin:.5rem 0}
.account input{margin-top:.35rem}
.account label{display:inline;margin:0;font-weight:400}
button{display:block;width:100%;margin-top:1rem;padding:.7rem;border:0;border-radius:4px;background:#00703c;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button.secondary{background:#f3f2f1;color:#1b1f24;border:1px solid #8a9099}
.secondary-form{margin:0}
.actions{display:flex;gap:1rem}
.error{padding:.75rem;border-left:5px solid #d4351c;background:#fdf2f0}
.muted{color:#505a5f}
.permissions{padding-left:1.2rem}
.payment{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0}
.payment dt{font-weight:600}
.payment dd{margin:0}
`;
