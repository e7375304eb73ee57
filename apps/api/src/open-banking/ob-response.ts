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

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Dates on the wire: ISO 8601 in UTC with milliseconds, exactly as Date#toISOString writes them (every OB
 * date-time carries its zone). Assembled here for years 1000-9999: V8's toISOString formats through a
 * printf-style path at twice the cost, and a page of transactions writes two hundred of them.
 */
export function obDateTime(value: Date): string {
  const year = value.getUTCFullYear();
  if (year < 1000 || year > 9999) return value.toISOString();
  return `${year}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}T${pad2(value.getUTCHours())}:${pad2(value.getUTCMinutes())}:${pad2(value.getUTCSeconds())}.${pad3(value.getUTCMilliseconds())}Z`;
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
