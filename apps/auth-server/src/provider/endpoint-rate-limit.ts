import { IncomingMessage, ServerResponse } from 'node:http';

import { Redis } from 'ioredis';
import Provider from 'oidc-provider';
import parseUrl from 'parseurl';

/** Requests per minute to the TPP-facing endpoints, from libs/config. */
export interface EndpointRateLimits {
  perClient: number;
  perIp: number;
}

const WINDOW_SECONDS = 60;
// oidc-provider's own limit for the form bodies it reads.
const FORM_LIMIT = 56 * 1024;

// One round trip, atomic: count the address's request (starting its window on the first), then count
// (ARGV[2] = 1) or only read the client's window; answer both counts and the seconds left of each.
const CHECK = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if #KEYS < 2 then return {n, ttl, 0, 0} end
local c
if ARGV[2] == '1' then
  c = redis.call('INCR', KEYS[2])
  if c == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
else
  c = tonumber(redis.call('GET', KEYS[2]) or '0')
end
return {n, ttl, c, redis.call('TTL', KEYS[2])}`;
const HIT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;

interface RateCommands {
  consentryRateCheck(numberOfKeys: number, ...args: Array<string | number>): Promise<number[]>;
  consentryRateHit(key: string, windowSeconds: number): Promise<number>;
}

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
  private readonly commands: RateCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly limits: EndpointRateLimits,
  ) {
    // Sent once, then run by its SHA (EVALSHA).
    redis.defineCommand('consentryRateCheck', { lua: CHECK });
    redis.defineCommand('consentryRateHit', { lua: HIT, numberOfKeys: 1 });
    this.commands = redis as unknown as RateCommands;
  }

  /** Counts authenticated clients' requests from the provider's events. */
  watch(provider: Provider): void {
    const count = (ctx: { oidc?: { client?: { clientId: string } } }, error?: { error?: string }) => {
      const clientId = ctx.oidc?.client?.clientId;
      // The client is known before its authentication is checked: a failed one is not that client's request.
      if (clientId && error?.error !== 'invalid_client') void this.commands.consentryRateHit(this.key(`client:${clientId}`), WINDOW_SECONDS).catch(() => undefined);
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
    const endpoint = limitedEndpoint(url);
    if (!endpoint) return false;
    let body: Buffer | undefined;
    let clientKey: string | undefined;
    let countClient = false;
    if (endpoint === 'register') {
      // Registration management names the client in the path (the token is checked by the controller),
      // in a window of its own: a request there cannot spend the client's token allowance.
      const named = /^\/register\/([^/?]+)/.exec(url)?.[1];
      if (named) {
        clientKey = `register:${decodeURIComponent(named)}`;
        countClient = true;
      }
    } else if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      body = await readForm(req);
      if (body === undefined) {
        sendOAuthError(res, 400, { error: 'invalid_request', error_description: 'failed to parse the request body' });
        return true;
      }
      const claimed = claimedClientId(new URLSearchParams(body.toString('utf8')));
      if (claimed) clientKey = `client:${claimed}`;
    }
    const address = this.key(`ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`);
    const [byIp, ipTtl, byClient, clientTtl] = clientKey
      ? await this.commands.consentryRateCheck(2, address, this.key(clientKey), WINDOW_SECONDS, countClient ? '1' : '0')
      : await this.commands.consentryRateCheck(1, address, WINDOW_SECONDS, '0');
    if (byIp! > this.limits.perIp) return this.tooMany(res, ipTtl!, 'too many requests from this address');
    // A counted request is over the limit past it; a peeked window is full at it.
    if (clientKey && byClient! > this.limits.perClient - (countClient ? 0 : 1)) return this.tooMany(res, clientTtl!, 'too many requests from this client');
    return body ?? false;
  }

  private key(key: string): string {
    return `${this.prefix}:auth:rate:${key}`;
  }

  private tooMany(res: ServerResponse, ttl: number, description: string): true {
    sendOAuthError(res, 429, { error: 'temporarily_unavailable', error_description: description }, Math.max(1, ttl));
    return true;
  }
}

/**
 * The limited endpoint a request reaches, decided as the routers that serve them decide:
 * - `/token` and `/request` (PAR) as oidc-provider routes them. Its Koa app reads the path with
 *   parseurl (so an absolute-form target, a fragment or trailing whitespace is cut off) and matches
 *   ASCII letters in any case, undecoded, with one trailing slash ignored: `/TOKEN`, `/request/` and
 *   `http://host/token` are limited too. Introspection and revocation (`/token/...`) are other routes.
 * - `/register` and below, the spellings the bootstrap's NEST_PATH hands to the registration routes
 *   (any other spelling reaches oidc-provider, which has no registration route).
 */
export function limitedEndpoint(url: string): 'token' | 'register' | undefined {
  if (/^\/register(\/|\?|$)/.test(url)) return 'register';
  const path = parseUrl({ url } as IncomingMessage)?.pathname ?? '';
  const routed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  // oidc-provider folds case with toUpperCase but never maps a non-ASCII character onto ASCII, so only
  // ASCII spellings can reach these routes.
  if (!/^[\x20-\x7e]*$/.test(routed)) return undefined;
  const folded = routed.toUpperCase();
  if (folded === '/TOKEN' || folded === '/REQUEST') return 'token';
  return undefined;
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
