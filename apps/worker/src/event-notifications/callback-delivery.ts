import { randomUUID } from 'node:crypto';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

import { checkCallbackUrl, HostResolver } from '@consentry/tpps';

export interface CallbackLimits {
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  maxResponseBytes: number;
}

export interface CallbackDelivery {
  callbackUrl: string;
  setJwt: string;
  financialId: string;
  sandbox: boolean;
  limits: CallbackLimits;
  /** A test's resolver; the system's otherwise. */
  resolve?: HostResolver;
}

/** What the callback answered: its status, or why there was no answer (never the body: it is the TPP's). */
export type CallbackOutcome = { status: number } | { failure: string };

/**
 * POSTs one event notification to `{CallbackUrl}/event-notifications` (UK OB: `application/jwt`,
 * x-fapi-financial-id, x-fapi-interaction-id). The host is resolved and checked now, and the connection
 * goes to the checked address (its name is never resolved again: no DNS rebinding); a redirect is an
 * answer like any other, never followed; connecting, the answer and its size are all bounded.
 */
export async function postEventNotification(delivery: CallbackDelivery): Promise<CallbackOutcome> {
  let checked;
  try {
    checked = await checkCallbackUrl(delivery.callbackUrl, { sandbox: delivery.sandbox, resolve: delivery.resolve });
  } catch (error) {
    return { failure: (error as Error).message };
  }
  const url = new URL(`${checked.url.href.replace(/\/+$/, '')}/event-notifications`);
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (typeof options === 'object' && options.all) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  };
  const body = Buffer.from(delivery.setJwt, 'utf8');
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<CallbackOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: CallbackOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
      resolve(outcome);
    };
    const req = request(url, {
      method: 'POST',
      lookup: pinned,
      // No keep-alive pool shared across TPPs: each delivery its own connection.
      agent: false,
      headers: {
        'content-type': 'application/jwt',
        'content-length': String(body.length),
        'x-fapi-financial-id': delivery.financialId,
        'x-fapi-interaction-id': randomUUID(),
      },
    });
    const fail = (failure: string) => {
      req.destroy();
      finish({ failure });
    };
    const connectTimer = setTimeout(() => fail('connecting to the callback timed out'), delivery.limits.connectTimeoutMs);
    const responseTimer = setTimeout(() => fail('the callback did not answer in time'), delivery.limits.connectTimeoutMs + delivery.limits.responseTimeoutMs);
    req.on('socket', (socket) => socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
    req.on('error', (error) => finish({ failure: `the callback could not be reached (${(error as NodeJS.ErrnoException).code ?? 'error'})` }));
    req.on('response', (response: IncomingMessage) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > delivery.limits.maxResponseBytes) fail(`the callback's answer exceeded ${delivery.limits.maxResponseBytes} bytes`);
      });
      response.on('end', () => finish({ status: response.statusCode ?? 0 }));
      response.on('error', () => finish({ failure: 'the callback\'s answer broke off' }));
    });
    req.end(body);
  });
}
