import { isObDateTime } from '@consentry/validation';

import { PageException, PageExceptionCode } from '../dashboard/page.exception.js';
import { AUDIT_EXPORT_FORMATS, AuditExportFormat } from '../admin/audit/audit-export.format.js';
import { AuditFilter, isAuditEventType } from '../admin/audit/audit-filter.js';
import { AuditPageCursor } from '../admin/audit/audit-search.service.js';

/** The search form's fields as typed, to fill the form again. */
export interface AuditFilterValues {
  type: string;
  clientId: string;
  psuId: string;
  consentId: string;
  from: string;
  to: string;
}

export interface ParsedAuditFilter {
  filter: AuditFilter;
  values: AuditFilterValues;
  /** One message per field that could not be read; the search does not run while there are any. */
  errors: Partial<Record<keyof AuditFilterValues, string>>;
}

const MAX_ID = 200;
const SEQ = /^\d{1,18}$/;
// What a datetime-local field sends (minutes, optional seconds), or a full ISO 8601 instant: the minute,
// the seconds and the offset.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(?:\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** One query or form field as typed (trimmed); a repeated one reads as its first (see repeatedFields). */
export function one(source: Record<string, unknown>, name: string): string {
  const value = source[name];
  // A repeated parameter arrives as an array.
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

/**
 * A message for each filter field of `names` given more than once (`?clientId=a&clientId=b`): the search
 * or export does not run then, rather than guess which value was meant (until 7 December 2026 the first
 * one was used without a word, so an export could cover another TPP than the admin read in the address).
 */
export function repeatedFields<K extends string>(source: Record<string, unknown>, names: readonly K[], errors: Partial<Record<K, string>>): void {
  for (const name of names) {
    const value = source[name];
    if (Array.isArray(value) && value.length > 1) errors[name] = 'Give this field once.';
  }
}

// No id the bank issues holds a control character (and PostgreSQL's text holds no NUL).
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A date-time typed in the form, in UTC when it names no offset. An upper bound typed to the minute
 * covers that whole minute, so "to 10:05" includes an event at 10:05:30.
 */
function instant(text: string, bound: 'from' | 'to'): Date | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [, minute, seconds, offset] = match;
  // Read as the admin API reads its from/to (isObDateTime): a day the month has not (2026-02-30), 24:00 or
  // year 0000 is refused, where Date would roll it over into another period without a word.
  const full = `${minute}${seconds ?? ':00'}${offset ?? 'Z'}`;
  if (!isObDateTime(full)) return null;
  const date = new Date(full);
  return bound === 'to' && seconds === undefined ? new Date(date.getTime() + 59_999) : date;
}

/** The filter's fields, as the search form's query string and the export form's body hold them. */
const AUDIT_FILTER_FIELDS = ['type', 'clientId', 'psuId', 'consentId', 'from', 'to'] as const;

/** Reads the filter from the search form's query string (or the export form's body). */
export function parseAuditFilterForm(source: Record<string, unknown>): ParsedAuditFilter {
  const values: AuditFilterValues = {
    type: one(source, 'type'),
    clientId: one(source, 'clientId'),
    psuId: one(source, 'psuId'),
    consentId: one(source, 'consentId'),
    from: one(source, 'from'),
    to: one(source, 'to'),
  };
  const filter: AuditFilter = {};
  const errors: ParsedAuditFilter['errors'] = {};
  if (values.type) {
    if (isAuditEventType(values.type)) filter.type = values.type;
    else errors.type = 'Choose an event type from the list.';
  }
  readIdsAndPeriod(values, ['clientId', 'psuId', 'consentId'], filter, errors);
  repeatedFields(source, AUDIT_FILTER_FIELDS, errors);
  return { filter, values, errors };
}

/**
 * The fields every console search shares: ids (at most 200 characters) and a from/to period, read into
 * `filter`, with one message per field that cannot be read.
 */
export function readIdsAndPeriod<K extends string>(
  values: Readonly<Record<K | 'from' | 'to', string>>,
  ids: readonly K[],
  filter: Partial<Record<K, string>> & { from?: Date; to?: Date },
  errors: Partial<Record<K | 'from' | 'to', string>>,
): void {
  for (const name of ids) {
    if (!values[name]) continue;
    if (values[name].length > MAX_ID) errors[name] = `At most ${MAX_ID} characters.`;
    else if (CONTROL.test(values[name])) errors[name] = 'Letters, digits and punctuation only.';
    else (filter as Partial<Record<K, string>>)[name] = values[name];
  }
  for (const name of ['from', 'to'] as const) {
    if (!values[name]) continue;
    const date = instant(values[name], name);
    if (date) filter[name] = date;
    else errors[name] = 'Enter a date and time, for example 2026-11-20T09:30.';
  }
  if (filter.from && filter.to && filter.from > filter.to) errors.to = 'The end must not be before the start.';
}

/** The page cursor of the query string: `before` (older page) or `after` (newer page). */
export function parseAuditCursor(source: Record<string, unknown>): AuditPageCursor {
  const before = one(source, 'before');
  const after = one(source, 'after');
  // One the pager did not write is refused (400), as the admin API refuses it, rather than read as the
  // first page (until 7 December 2026).
  if ((before && !SEQ.test(before)) || (after && !SEQ.test(after))) throw new PageException(PageExceptionCode.InvalidForm, 'the page cursor is not valid');
  if (before) return { before };
  if (after) return { after };
  return null;
}

/** A search form's fields as query parameters (the form's own values), for pager links. */
export function filterQuery<K extends string>(values: Readonly<Record<K, string>>, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries<string>(values)) if (value) params.set(name, value);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

export interface AuditExportForm {
  csrf: string;
  format: AuditExportFormat;
  filter: AuditFilter;
}

/** The export form: the search's filter (hidden fields), the button pressed, and the CSRF token. */
export function parseAuditExportForm(body: unknown): AuditExportForm {
  const form = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  // A field the form does not take (a mistyped filter, say) refuses the export: it never runs wider than asked
  // (until 7 December 2026 `clientld=` exported the whole log).
  const taken: readonly string[] = ['csrf', 'format', ...AUDIT_FILTER_FIELDS];
  if (Object.keys(form).some((name) => !taken.includes(name))) throw new PageException(PageExceptionCode.InvalidForm, 'The form holds a field it does not take');
  const csrf = form.csrf;
  const format = form.format;
  const parsed = parseAuditFilterForm(form);
  if (typeof csrf !== 'string' || csrf.length > 128) throw new PageException(PageExceptionCode.InvalidForm, 'csrf is not valid');
  if (!(AUDIT_EXPORT_FORMATS as readonly unknown[]).includes(format)) throw new PageException(PageExceptionCode.InvalidForm, 'format is not valid');
  if (Object.keys(parsed.errors).length > 0) throw new PageException(PageExceptionCode.InvalidForm, 'filter is not valid');
  return { csrf, format: format as AuditExportFormat, filter: parsed.filter };
}
