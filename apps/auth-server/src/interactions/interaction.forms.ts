import { isUnstorableText } from '@consentry/validation';

import { InteractionException, InteractionExceptionCode } from './interaction.exception.js';

export interface LoginForm {
  csrf: string;
  username: string;
  password: string;
  otp: string;
}

export interface ConsentForm {
  csrf: string;
  accountIds: string[];
}

export interface CsrfForm {
  csrf: string;
}

// Generous bounds that still stop oversized input before it reaches argon2 or the database; text the
// database cannot hold (U+0000, an unpaired surrogate) is refused with them, as the API's pipe refuses it.
const LIMITS = { csrf: 128, username: 128, password: 1024, otp: 16, accountId: 128, accounts: 200 } as const;

function field(body: Record<string, unknown>, name: keyof typeof LIMITS): string {
  const value = body[name];
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > LIMITS[name] || isUnstorableText(value)) {
    throw new InteractionException(InteractionExceptionCode.InvalidForm, `${name} is not valid`);
  }
  return value;
}

function asBody(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

export function parseCsrfForm(body: unknown): CsrfForm {
  return { csrf: field(asBody(body), 'csrf') };
}

export function parseLoginForm(body: unknown): LoginForm {
  const form = asBody(body);
  return {
    csrf: field(form, 'csrf'),
    username: field(form, 'username').trim(),
    password: field(form, 'password'),
    otp: field(form, 'otp').replace(/\s+/g, ''),
  };
}

/** `accountIds` arrives once per ticked checkbox: absent, one string, or an array of them. */
export function parseConsentForm(body: unknown): ConsentForm {
  const form = asBody(body);
  const raw = form.accountIds;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (
    values.length > LIMITS.accounts ||
    !values.every((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= LIMITS.accountId && !isUnstorableText(v))
  ) {
    throw new InteractionException(InteractionExceptionCode.InvalidForm, 'accountIds is not valid');
  }
  return { csrf: field(form, 'csrf'), accountIds: [...new Set(values)] };
}
