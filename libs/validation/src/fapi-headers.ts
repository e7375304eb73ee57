import { isIP } from 'node:net';

// OB v4.0 x-fapi-auth-date: an RFC 7231 IMF-fixdate, with GMT or UTC as the spec's own pattern allows.
const AUTH_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UTC)$/;

/** Whether `value` is a valid x-fapi-auth-date naming a real instant whose weekday matches. */
export function isFapiAuthDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = AUTH_DATE.exec(value);
  if (!match) return false;
  const parsed = new Date(value.replace(/ UTC$/, ' GMT'));
  if (Number.isNaN(parsed.getTime())) return false;
  // Date accepts 31 Feb by rolling over; the round trip catches it and a wrong weekday.
  return parsed.toUTCString() === value.replace(/ UTC$/, ' GMT');
}

/** Whether `value` is an IPv4 or IPv6 address (x-fapi-customer-ip-address). */
export function isCustomerIpAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 45 && isIP(value) !== 0;
}
