import { MESSAGE_SIGNATURE_HEADER, signMessage } from '@consentry/message-signing';
import { FastifyInstance, FastifyRequest } from 'fastify';

import { routedPath } from '../http/routed-path.js';
import { BankSigningKeys } from './bank-signing-keys.js';

/**
 * UK OB: every answer of these APIs is signed by the bank, GETs and errors included (the event
 * subscriptions' answers too, events-openapi.yaml; the polling answer carries no signature).
 */
export const SIGNED_RESPONSE_PREFIXES = ['/open-banking/v4.0/pisp/', '/open-banking/v4.0/cbpii/', '/open-banking/v4.0/event-subscriptions/'] as const;

/** Whether answers to this path are signed: the path the router serves (escapes decoded), never the raw URL. */
export function isSignedResponsePath(path: string): boolean {
  return SIGNED_RESPONSE_PREFIXES.some((prefix) => path.startsWith(prefix) || `${path}/` === prefix);
}

/**
 * Signs the exact bytes of every PIS, VRP and CoF answer (`x-jws-signature`, detached, PS256) with the
 * bank's message-signing key. It runs in onSend, after serialisation, so what is signed is what is sent;
 * an answer without a body (204) carries no signature, as there is nothing to sign.
 */
export function registerResponseSigningHook(fastify: FastifyInstance, keys: BankSigningKeys): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    const signature = await responseSignature(request, payload, keys);
    if (signature) reply.header(MESSAGE_SIGNATURE_HEADER, signature);
    return payload;
  });
}

/**
 * The x-jws-signature of an answer with body `payload` to `request`, or undefined when it carries none (not
 * a signed path, no body, a stream). Also used for the router's own refusals, which skip onSend.
 */
export async function responseSignature(request: FastifyRequest, payload: unknown, keys: BankSigningKeys): Promise<string | undefined> {
  if (!isSignedResponsePath(routedPath(request))) return undefined;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return undefined;
  if (payload.length === 0) return undefined;
  return signMessage(typeof payload === 'string' ? payload : new Uint8Array(payload), keys.signer);
}
