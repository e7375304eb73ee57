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

/** Dates on the wire: ISO 8601 with the zone, as every OB date-time must carry. */
export function obDateTime(value: Date): string {
  return value.toISOString();
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
