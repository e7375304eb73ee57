import { PageException, PageExceptionCode } from './page.exception.js';

export interface PageLoginForm {
  csrf: string;
  username: string;
  password: string;
  otp: string;
}

export interface PageCsrfForm {
  csrf: string;
}

// Generous bounds that still stop oversized input before it reaches argon2 or the database.
const LIMITS = { csrf: 128, username: 128, password: 256, otp: 16 } as const;

function asRecord(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

function field(form: Record<string, unknown>, name: keyof typeof LIMITS): string {
  const value = form[name];
  if (value === undefined) return '';
  // A repeated field arrives as an array: refused rather than guessed.
  if (typeof value !== 'string' || value.length > LIMITS[name]) throw new PageException(PageExceptionCode.InvalidForm, `${name} is not valid`);
  return value;
}

/**
 * Refuses a form holding a field it does not take, as the API's bodies are refused (a whitelist): every
 * page form takes `csrf` and the fields named. Until 7 December 2026 an extra field was ignored.
 */
function onlyFields(form: Record<string, unknown>, fields: readonly string[]): void {
  for (const name of Object.keys(form)) {
    if (name !== 'csrf' && !fields.includes(name)) throw new PageException(PageExceptionCode.InvalidForm, 'The form holds a field it does not take');
  }
}

export function parseLoginForm(body: unknown): PageLoginForm {
  const form = asRecord(body);
  onlyFields(form, ['username', 'password', 'otp']);
  return {
    csrf: field(form, 'csrf'),
    username: field(form, 'username').trim(),
    password: field(form, 'password'),
    otp: field(form, 'otp').replace(/\s+/g, ''),
  };
}

/** A form of a CSRF token and, besides it, only `fields` (the caller reads those). */
export function parseCsrfForm(body: unknown, fields: readonly string[] = []): PageCsrfForm {
  const form = asRecord(body);
  onlyFields(form, fields);
  return { csrf: field(form, 'csrf') };
}

/** Whether the sign-in form is complete enough to try: the code must be six digits. */
export function isCompleteLogin(form: PageLoginForm): boolean {
  return form.username.length > 0 && form.password.length > 0 && /^\d{6}$/.test(form.otp);
}

/** A keyset cursor from the query string: one, short, of the cursor alphabet; the service decodes it. */
export function pageCursorOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(value)) throw new PageException(PageExceptionCode.InvalidForm, 'cursor is not valid');
  return value;
}
