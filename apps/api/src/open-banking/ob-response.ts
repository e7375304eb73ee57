import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

/** OB `Links`: Self is required; First, Prev, Next and Last when the result spans pages. Absolute URIs (format: uri). */
export interface ObLinks {
  Self: string;
  First?: string;
  Prev?: string;
  Next?: string;
  Last?: string;
}

/** OB `Meta`. */
export interface ObMeta {
  TotalPages?: number;
  FirstAvailableDateTime?: string;
  LastAvailableDateTime?: string;
}

/** An OB read response: `Data` holds one array (or object) named after the resource. */
export interface ObReadResponse<K extends string, T = Array<Record<string, unknown>>> {
  Data: Record<K, T>;
  Links: ObLinks;
  Meta: ObMeta;
}

/** The path and query the TPP called, for building `Links.Self`. */
export const RequestPath = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<FastifyRequest>().url;
});

// '00'..'99' and '000'..'999', built once: a date is assembled from table entries, not from padding.
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

const MS_PER_DAY = 86_400_000;
// 1000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years written with four digits.
const FIRST_FOUR_DIGIT_YEAR = -30_610_224_000_000;
const LAST_FOUR_DIGIT_YEAR = 253_402_300_799_999;

/**
 * Dates on the wire: ISO 8601 in UTC with milliseconds, exactly as Date#toISOString writes them (every OB
 * date-time carries its zone). Worked out here from the time value for years 1000-9999 (H. Hinnant's
 * civil_from_days): V8's toISOString and each getUTC* call go through the runtime, and a page of
 * transactions writes two hundred dates.
 */
export function obDateTime(value: Date): string {
  const time = value.getTime();
  if (!(time >= FIRST_FOUR_DIGIT_YEAR && time <= LAST_FOUR_DIGIT_YEAR)) return value.toISOString();
  const days = Math.floor(time / MS_PER_DAY);
  let rest = time - days * MS_PER_DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`;
}

/** An OB amount (OBActiveOrHistoricCurrencyAndAmount): a decimal string and its currency. */
export function obAmount(amount: string, currency: string): { Amount: string; Currency: string } {
  return { Amount: amount.startsWith('-') ? amount.slice(1) : amount, Currency: currency };
}

/** Header naming the consented accounts whose bank could not be reached during a bulk read. */
export const UNAVAILABLE_ACCOUNTS_HEADER = 'x-consentry-unavailable-accounts';

const unavailableOf = new WeakMap<object, string[]>();

/** Marks a response body as missing the data of these accounts (their bank was down). */
export function markUnavailable<T extends object>(body: T, accountIds: string[]): T {
  if (accountIds.length > 0) unavailableOf.set(body, accountIds);
  return body;
}

export function unavailableAccountsOf(body: unknown): string[] {
  return typeof body === 'object' && body !== null ? (unavailableOf.get(body) ?? []) : [];
}
