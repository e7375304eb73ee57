import type { IncomingMessage } from 'node:http';

/** What a request line and the request metrics say about a request besides its method and status. */
export interface RequestAnnotations {
  /** The route pattern that served it (`/accounts/:AccountId`, `oidc:token`): bounded, never the URL. */
  route?: string;
  /** The x-fapi-interaction-id answered (when the app keeps it off the raw response until it writes). */
  interactionId?: string;
  /** The TPP's client_id, once the request authenticated one. */
  clientId?: string;
  /** The UK OB ConsentId the request acted on, where known. */
  consentId?: string;
}

const annotations = new WeakMap<IncomingMessage, RequestAnnotations>();

/** Adds what the app learnt about a request while serving it; undefined values leave earlier ones. */
export function annotateRequest(request: IncomingMessage, values: RequestAnnotations): void {
  const current = annotations.get(request) ?? {};
  for (const [key, value] of Object.entries(values) as [keyof RequestAnnotations, string | undefined][]) {
    if (typeof value === 'string' && value !== '') current[key] = value;
  }
  annotations.set(request, current);
}

/** What `annotateRequest` recorded for this request (empty when nothing was). */
export function requestAnnotations(request: IncomingMessage): RequestAnnotations {
  return annotations.get(request) ?? {};
}
