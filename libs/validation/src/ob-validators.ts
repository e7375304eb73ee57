import { registerDecorator, ValidationOptions } from 'class-validator';

/** Constraint names of the custom validators; the error mapper picks OB codes by them. */
export const OB_DATE_TIME_CONSTRAINT = 'isObDateTime';
export const OB_PERMISSION_CONSTRAINT = 'isObPermission';

// ISO 8601 date-time with a mandatory timezone (Z or ±hh:mm): the OB spec requires the zone on every
// date-time, and a zoneless value would be read in the server's zone.
const DATE_TIME_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

// The instants a date-time may name, in UTC: years 0001-9999. Stored in timestamptz and answered with
// toISOString, a later instant would read +010000-..., outside the OB schema's RFC 3339 four-digit year
// (and year 0 is PostgreSQL's 1 BC). The wall-clock fields alone do not tell: 9999-12-31T23:59:59-23:59
// is 10000-01-01 in UTC.
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Whether `value` is an ISO 8601 date-time with a timezone that names a real instant, in UTC years
 * 0001-9999.
 */
export function isObDateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE_TIME_WITH_ZONE.exec(value);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, , , offsetHours, offsetMinutes] = match;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return false;
  if (offsetHours !== undefined && (Number(offsetHours) > 23 || Number(offsetMinutes) > 59)) return false;
  // Rejects 2025-02-30 and friends, which Date would silently roll over.
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const instant = Date.parse(value);
  return d <= daysInMonth && instant >= FIRST_INSTANT && instant <= LAST_INSTANT;
}

/** An ISO 8601 date-time that carries its timezone (OB: "All date-time fields ... must include the timezone"). */
export function IsObDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: OB_DATE_TIME_CONSTRAINT,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be an ISO 8601 date-time with a timezone`, ...options },
      validator: { validate: (value: unknown) => isObDateTime(value) },
    });
}

// The currencies money can move in: the ISO 4217 codes the runtime's ICU lists (CLDR's current ones: GBP,
// EUR, ...; not a long-gone DEM, nor XXX or XTS, which name no currency). The list follows the pinned Node
// (package.json's `node` dev dependency) and may gain or drop a recently withdrawn code on an upgrade. The OB schema's pattern alone
// (ActiveOrHistoricCurrencyCode, three capitals) would let a payment in "XYZ" be consented to.
const ACTIVE_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** Whether `value` is an active ISO 4217 currency code. */
export function isActiveCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && ACTIVE_CURRENCIES.has(value);
}

/** An active ISO 4217 currency code (OB ActiveOrHistoricCurrencyCode, narrowed to codes money can move in). */
export function IsActiveCurrencyCode(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isActiveCurrencyCode',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be an active ISO 4217 currency code`, ...options },
      validator: { validate: (value: unknown) => isActiveCurrencyCode(value) },
    });
}

/**
 * One of the given OB permission codes (OBInternalPermissions1Code). The list is passed in so this lib
 * does not own the consent model.
 */
export function IsObPermission(permissions: readonly string[], options?: ValidationOptions): PropertyDecorator {
  const allowed = new Set(permissions);
  return (target, propertyName) =>
    registerDecorator({
      name: OB_PERMISSION_CONSTRAINT,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must hold only OB permission codes`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && allowed.has(value) },
    });
}

export const OB_QUERY_DATE_TIME_CONSTRAINT = 'isObQueryDateTime';

// OB filter parameters (fromBookingDateTime, ...): "Time component is optional" and "if the Date Time
// contains a timezone, the ASPSP must ignore the timezone component" — so the wall time is read as UTC.
const QUERY_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** The instant an OB filter date-time names (timezone ignored, as the spec says), or null when malformed. */
export function parseObQueryDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = QUERY_DATE_TIME.exec(value);
  if (!match) return null;
  const [, date, time = '00:00:00', fraction = ''] = match;
  const normalised = `${date}T${time.length === 5 ? `${time}:00` : time}${fraction.slice(0, 4)}Z`;
  return isObDateTime(normalised) ? new Date(normalised) : null;
}

/** An OB filter date-time: a date, optionally with a time; any timezone is ignored. */
export function IsObQueryDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: OB_QUERY_DATE_TIME_CONSTRAINT,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be an ISO 8601 date or date-time`, ...options },
      validator: { validate: (value: unknown) => parseObQueryDateTime(value) !== null },
    });
}
