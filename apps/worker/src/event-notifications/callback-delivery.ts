import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  /** Kept-alive connections of this TPP's, to reuse; without them the delivery has a connection of its own. */
  connections?: { pools: CallbackConnections; clientId: string };
}

/** How long a kept-alive connection to a callback may sit unused (below the 5 s a Node server keeps one). */
const CALLBACK_IDLE_MS = 4_000;
/** The most callbacks (TPP, origin and address) with connections kept at once; the least recently used goes. */
const MAX_CALLBACK_POOLS = 1_000;

/**
 * Kept-alive connections to TPPs' callbacks, so a TPP that receives many events is not connected to (and,
 * over https, handshaken with) once per event. One pool per TPP, callback origin and checked address: a
 * connection is never shared between TPPs, and every connection in a pool goes to the one address that
 * was checked (a delivery resolves and checks the host again first, and a new address is a new pool, so
 * a name that now resolves elsewhere never reuses a connection to the old address, and a private
 * address is never connected to). Pools idle past a few seconds close their connections.
 */
export class CallbackConnections {
  private readonly pools = new Map<string, HttpAgent>();

  constructor(private readonly options: { maxSocketsPerCallback: number }) {}

  poolFor(clientId: string, url: URL, address: string): HttpAgent {
    const key = JSON.stringify([clientId, url.protocol, url.host, address]);
    const pool = this.pools.get(key);
    if (pool !== undefined) {
      // Most recently used last: the first entry is the one to close when there are too many.
      this.pools.delete(key);
      this.pools.set(key, pool);
      return pool;
    }
    const Pool = url.protocol === 'https:' ? HttpsAgent : HttpAgent;
    const created = new Pool({ keepAlive: true, maxSockets: this.options.maxSocketsPerCallback, maxFreeSockets: this.options.maxSocketsPerCallback, timeout: CALLBACK_IDLE_MS, scheduling: 'lifo' });
    this.pools.set(key, created);
    if (this.pools.size > MAX_CALLBACK_POOLS) {
      const [oldestKey, oldest] = this.pools.entries().next().value as [string, HttpAgent];
      this.pools.delete(oldestKey);
      oldest.destroy();
    }
    return created;
  }

  /** How many pools are open (a test's and the metrics' view). */
  get size(): number {
    return this.pools.size;
  }

  close(): void {
    for (const pool of this.pools.values()) pool.destroy();
    this.pools.clear();
  }
}

/**
 * `{CallbackUrl}/event-notifications`: the path gains the suffix and a query the TPP registered stays a
 * query (until 7 December 2026 the suffix was appended to the whole URL, so `.../cb?tenant=42` was posted
 * to `/cb?tenant=42/event-notifications`).
 */
export function notificationUrl(callback: URL): URL {
  const url = new URL(callback.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/event-notifications`;
  return url;
}

/** What the callback answered: its status, or why there was no answer (never the body: it is the TPP's). */
export type CallbackOutcome = { status: number } | { failure: string };

/**
 * POSTs one event notification to `{CallbackUrl}/event-notifications` (UK OB: `application/jwt`,
 * x-fapi-financial-id, x-fapi-interaction-id). The host is resolved and checked now, and the connection
 * goes to the checked address (its name is never resolved again: no DNS rebinding), kept alive in the
 * TPP's pool for that address when `connections` is given; a redirect is an answer like any other, never
 * followed; connecting, the answer and its size are all bounded.
 */
export async function postEventNotification(delivery: CallbackDelivery): Promise<CallbackOutcome> {
  let checked;
  try {
    checked = await checkCallbackUrl(delivery.callbackUrl, { sandbox: delivery.sandbox, resolve: delivery.resolve });
  } catch (error) {
    return { failure: (error as Error).message };
  }
  const url = notificationUrl(checked.url);
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (typeof options === 'object' && options.all) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  };
  const body = Buffer.from(delivery.setJwt, 'utf8');
  const pool = delivery.connections?.pools.poolFor(delivery.connections.clientId, url, checked.address);
  const outcome = await send(url, pinned, body, delivery, pool ?? false);
  // A kept-alive connection the callback closed while it sat unused fails before any answer: the event
  // goes once more, on a new connection (a TPP may so receive it twice, as it may after any retry).
  if (!('stale' in outcome)) return outcome;
  const fresh = await send(url, pinned, body, delivery, false);
  return 'stale' in fresh ? { failure: 'the callback closed the connection' } : fresh;
}

type Attempt = CallbackOutcome | { stale: true };

function send(url: URL, pinned: LookupFunction, body: Buffer, delivery: CallbackDelivery, agent: HttpAgent | false): Promise<Attempt> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (outcome: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
      resolve(outcome);
    };
    const req = request(url, {
      method: 'POST',
      lookup: pinned,
      // The TPP's own pool for the checked address (never one shared across TPPs), or a connection of its own.
      agent,
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
    req.on('socket', (socket) => {
      // A kept-alive connection is connected already.
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) finish({ stale: true });
      else finish({ failure: `the callback could not be reached (${code ?? 'error'})` });
    });
    req.on('response', (response: IncomingMessage) => {
      answered = true;
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
