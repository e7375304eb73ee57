import { IncomingMessage, ServerResponse } from 'node:http';

import { Redis } from 'ioredis';
import Provider from 'oidc-provider';

/** Requests per minute to the TPP-facing endpoints, from libs/config. */
export interface EndpointRateLimits {
  perClient: number;
  perIp: number;
}

const WINDOW_SECONDS = 60;
// oidc-provider's own limit for the form bodies it reads.
const FORM_LIMIT = 56 * 1024;
const LIMITED = /^\/(token|request|register)(\/|\?|$)/;

// One round trip, atomic: count the hit, start the window on the first one, answer the seconds left.
const HIT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return {n, redis.call('TTL', KEYS[1])}`;
const PEEK = `return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('TTL', KEYS[1])}`;

/**
 * Rate limits of `/token`, `/request` (PAR) and `/register`, per client IP and per client, in fixed
 * one-minute windows in Redis (shared by every instance). Past a limit: 429 with Retry-After and the
 * OAuth error `temporarily_unavailable` (RFC 6749 section 4.1.2.1), which OAuth clients, openid-client
 * included, surface as a plain error to retry later.
 *
 * A client's window counts only requests that passed client authentication (the provider's
 * `grant.*` and `pushed_authorization_request.*` events), so nobody can spend another client's
 * allowance by naming it; every request is checked against the window of the client it names.
 */
export class EndpointRateLimit {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: EndpointRateLimits,
  ) {}

  /** Counts authenticated clients' requests from the provider's events. */
  watch(provider: Provider): void {
    const count = (ctx: { oidc?: { client?: { clientId: string } } }, error?: { error?: string }) => {
      const clientId = ctx.oidc?.client?.clientId;
      // The client is known before its authentication is checked: a failed one is not that client's request.
      if (clientId && error?.error !== 'invalid_client') void this.hit(`client:${clientId}`).catch(() => undefined);
    };
    provider.on('grant.success', (ctx) => count(ctx));
    provider.on('grant.error', (ctx, error) => count(ctx, error));
    provider.on('pushed_authorization_request.success', (ctx) => count(ctx));
    provider.on('pushed_authorization_request.error', (ctx, error) => count(ctx, error));
  }

  /**
   * Checks a request before it is served: answers `refused` when the 429 (or a 400 for an unreadable
   * form) was sent, or else the request to serve. A token or PAR form read to find the client is left on
   * `req.body`, which oidc-provider takes as the body (it prints once per process that it found a body
   * read upstream).
   */
  async admit(req: IncomingMessage & { ip?: string; body?: unknown }, res: ServerResponse): Promise<IncomingMessage | 'refused'> {
    const refused = await this.refuse(req, res);
    if (refused === true) return 'refused';
    if (refused !== false) req.body = refused;
    return req;
  }

  /** true: refused; false: serve as it is; a Buffer: serve, the form having been read. */
  private async refuse(req: IncomingMessage & { ip?: string }, res: ServerResponse): Promise<boolean | Buffer> {
    const url = req.url ?? '';
    const endpoint = LIMITED.exec(url)?.[1];
    if (!endpoint) return false;
    const byIp = await this.hit(`ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`);
    if (byIp.count > this.limits.perIp) return this.tooMany(res, byIp.ttl, 'too many requests from this address');

    let clientId: string | undefined;
    if (endpoint === 'register') {
      // Registration management names the client in the path (the token is checked by the controller).
      clientId = /^\/register\/([^/?]+)/.exec(url)?.[1];
      if (clientId) {
        const byClient = await this.hit(`register:${decodeURIComponent(clientId)}`);
        if (byClient.count > this.limits.perClient) return this.tooMany(res, byClient.ttl, 'too many requests for this client');
      }
      return false;
    }
    if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return false;
    const body = await readForm(req);
    if (body === undefined) {
      sendOAuthError(res, 400, { error: 'invalid_request', error_description: 'failed to parse the request body' });
      return true;
    }
    clientId = claimedClientId(new URLSearchParams(body.toString('utf8')));
    if (!clientId) return body;
    const byClient = await this.peek(`client:${clientId}`);
    if (byClient.count >= this.limits.perClient) return this.tooMany(res, byClient.ttl, 'too many requests from this client');
    return body;
  }

  private async hit(key: string): Promise<{ count: number; ttl: number }> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, this.key(key), WINDOW_SECONDS)) as [number, number];
    return { count, ttl };
  }

  private async peek(key: string): Promise<{ count: number; ttl: number }> {
    const [count, ttl] = (await this.redis.eval(PEEK, 1, this.key(key))) as [number, number];
    return { count, ttl };
  }

  private key(key: string): string {
    return `${this.prefix}:auth:rate:${key}`;
  }

  private tooMany(res: ServerResponse, ttl: number, description: string): true {
    sendOAuthError(res, 429, { error: 'temporarily_unavailable', error_description: description }, Math.max(1, ttl));
    return true;
  }
}

/** The client a token or PAR request names: `client_id`, or the client assertion's `sub` (not yet verified). */
function claimedClientId(form: URLSearchParams): string | undefined {
  const named = form.get('client_id');
  if (named) return named;
  const assertion = form.get('client_assertion');
  const payload = assertion?.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub;
    return typeof sub === 'string' && sub.length <= 200 ? sub : undefined;
  } catch {
    return undefined;
  }
}

async function readForm(req: IncomingMessage): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > FORM_LIMIT) return undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > FORM_LIMIT) return undefined;
      chunks.push(chunk);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks, received);
}

function sendOAuthError(res: ServerResponse, status: number, body: { error: string; error_description: string }, retryAfterSeconds?: number): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }),
  });
  res.end(JSON.stringify(body));
}
