import { randomUUID } from 'node:crypto';

export const FAPI_INTERACTION_ID_HEADER = 'x-fapi-interaction-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The request's x-fapi-interaction-id (FAPI 1.0 Part 1 6.2.1.11/12, kept by UK OB v4.0): the client's
 * UUID echoed back, or a new one. Anything that is not a UUID is replaced, never echoed.
 */
export function fapiInteractionIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && UUID.test(value) ? value.toLowerCase() : randomUUID();
}
