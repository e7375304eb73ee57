import { IncomingMessage, ServerResponse } from 'node:http';

import { clientNetwork } from '@consentry/identity';
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

// One round trip, atomic: count the address's request (starting its window on the first); within the
// address's limit ($3), read the client's use, its counted requests (KEYS[2]) and those in flight
// (KEYS[3]), and, when asked to ($4 = 1), below the client's limit ($2) reserve this one in flight.
// Answers the address's count and seconds left, the client's use and seconds left, and 1 when reserved.
// A reservation is counted or given back when its request ends (SETTLE): so requests arriving together
// each take a place, and at most the limit are served (until 8 December 2026 the client's count was only
// read here, and a burst all read it below the limit).
const CHECK = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if #KEYS < 2 or n > tonumber(ARGV[3]) then return {n, ttl, 0, 0, 0} end
local c = tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(redis.call('GET', KEYS[3]) or '0')
if ARGV[4] ~= '1' or c >= tonumber(ARGV[2]) then return {n, ttl, c, redis.call('TTL', KEYS[2]), 0} end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[1])
return {n, ttl, c, redis.call('TTL', KEYS[2]), 1}`;
// A reservation ends: no longer in flight, and counted in the client's window when it passed the client's
// authentication ($2 = 1).
const SETTLE = `
local f = redis.call('DECR', KEYS[2])
if f <= 0 then redis.call('DEL', KEYS[2]) end
if ARGV[2] == '1' then
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
end
return 1`;
const HIT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;

// The form's media type, as oidc-provider reads it (type-is: case-insensitive, parameters dropped): a
// `Application/X-WWW-Form-Urlencoded` body is a form too (until 8 December 2026 it went unread here and
// its client unlimited).
function isForm(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** A request's place in its client's window, reserved by CHECK until the request ends. */
interface Reservation {
  clientId: string;
  authenticated: boolean;
}

// RFC 6750 section 2.1 b64token, as the registration controller reads it.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

interface RateCommands {
  consentryRateCheck(numberOfKeys: number, ...args: Array<string | number>): Promise<number[]>;
  consentryRateSettle(counted: string, inFlight: string, windowSeconds: number, authenticated: '0' | '1'): Promise<number>;
  consentryRateHit(key: string, windowSeconds: number): Promise<number>;
}

/**
 * Rate limits of `/token`, `/request` (PAR) and `/register`, per client IP and per client, in fixed
 * one-minute windows in Redis (shared by every instance). Past a limit: 429 with Retry-After and the
 * OAuth error `temporarily_unavailable` (RFC 6749 section 4.1.2.1), which OAuth clients, openid-client
 * included, surface as a plain error to retry later.
 *
 * A client's window counts only requests that passed client authentication (the provider's
 * `grant.*` and `pushed_authorization_request.*` events; for registration management, the client's own
 * registration access token), so nobody can spend another client's allowance by naming it; every
 * request is checked against the window of the client it names, and holds a place in it while it is
 * served, given back when it ends unauthenticated.
 */
export class EndpointRateLimit {
  private readonly commands: RateCommands;
  private registrationAccessTokens?: Provider['RegistrationAccessToken'];
  /** The reservation of each token or PAR request being served, found again from the provider's events. */
  private readonly reservations = new WeakMap<IncomingMessage, Reservation>();

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly limits: EndpointRateLimits,
  ) {
    // Sent once, then run by its SHA (EVALSHA).
    redis.defineCommand('consentryRateCheck', { lua: CHECK });
    redis.defineCommand('consentryRateSettle', { lua: SETTLE, numberOfKeys: 2 });
    redis.defineCommand('consentryRateHit', { lua: HIT, numberOfKeys: 1 });
    this.commands = redis as unknown as RateCommands;
  }

  /**
   * Counts authenticated clients' requests from the provider's events, and checks registration access
   * tokens with its model from now on (registration management is served by Nest, outside the provider).
   */
  watch(provider: Provider): void {
    this.registrationAccessTokens = provider.RegistrationAccessToken;
    const count = (ctx: { req?: IncomingMessage; oidc?: { client?: { clientId: string } } }, error?: { error?: string }) => {
      const clientId = ctx.oidc?.client?.clientId;
      // The client is known before its authentication is checked: a failed one is not that client's request.
      if (!clientId || error?.error === 'invalid_client') return;
      const reservation = ctx.req ? this.reservations.get(ctx.req) : undefined;
      // Counted when the request ends (SETTLE); a request that reserved no place (another client named) now.
      if (reservation?.clientId === clientId) reservation.authenticated = true;
      else void this.commands.consentryRateHit(this.key(`client:${clientId}`), WINDOW_SECONDS).catch(() => undefined);
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
    let managed: string | undefined;
    if (endpoint === 'register') {
      // Registration management names the client in the path, in a window of its own (a request there
      // cannot spend the client's token allowance), which counts only requests bearing that client's
      // registration access token: anyone else's spend only their address's allowance.
      managed = managedClientId(url);
      if (managed !== undefined) clientKey = `register:${managed}`;
    } else if (req.method === 'POST' && isForm(req.headers['content-type'])) {
      body = await readForm(req);
      if (body === undefined) {
        sendOAuthError(res, 400, { error: 'invalid_request', error_description: 'failed to parse the request body' });
        return true;
      }
      const claimed = claimedClientId(new URLSearchParams(body.toString('utf8')));
      if (claimed) clientKey = `client:${claimed}`;
    }
    // Per client network, as the sign-in throttle counts: an IPv4 address, an IPv6 /64, one spelling each.
    const address = this.key(`ip:${clientNetwork(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`);
    // A token or PAR request holds a place in its client's window while served; a registration management
    // request is counted below, once its token is checked.
    const reserving = clientKey !== undefined && managed === undefined;
    const [byIp, ipTtl, byClient, clientTtl, reserved] = clientKey
      ? await this.commands.consentryRateCheck(3, address, this.key(clientKey), this.key(`in-flight:${clientKey}`), WINDOW_SECONDS, this.limits.perClient, this.limits.perIp, reserving ? 1 : 0)
      : await this.commands.consentryRateCheck(1, address, WINDOW_SECONDS, this.limits.perClient, this.limits.perIp, 0);
    if (byIp! > this.limits.perIp) return this.tooMany(res, ipTtl!, 'too many requests from this address');
    if (reserving && reserved === 1) this.hold(req, res, clientKey!);
    // The request is not counted in the client's window yet: the window is full at the limit.
    if (clientKey && byClient! >= this.limits.perClient) return this.tooMany(res, clientTtl!, 'too many requests from this client');
    if (managed !== undefined && (await this.bearsRegistrationAccessToken(managed, req.headers.authorization))) {
      // Counted and compared in one step: requests of the client arriving together each get their own count.
      const counted = await this.commands.consentryRateHit(this.key(`register:${managed}`), WINDOW_SECONDS);
      if (counted > this.limits.perClient) return this.tooMany(res, WINDOW_SECONDS, 'too many requests from this client');
    }
    return body ?? false;
  }

  /**
   * Whether the request authenticates as the client it manages: a registration access token issued for
   * that client (the controller checks it again, with the TPP's status). Asked only of a request the
   * address's limit let through, and only when it bears a well-formed token: one lookup by primary key.
   */
  private async bearsRegistrationAccessToken(clientId: string, authorization: string | undefined): Promise<boolean> {
    const bearer = BEARER.exec(authorization ?? '')?.[1];
    if (!bearer || !this.registrationAccessTokens) return false;
    try {
      return (await this.registrationAccessTokens.find(bearer))?.clientId === clientId;
    } catch {
      // The store did not answer: not counted; the controller answers the request as it can.
      return false;
    }
  }

  /** Keeps `req`'s place in `clientKey`'s window until the response ends, then counts it or gives it back. */
  private hold(req: IncomingMessage, res: ServerResponse, clientKey: string): void {
    const reservation: Reservation = { clientId: clientKey.slice('client:'.length), authenticated: false };
    this.reservations.set(req, reservation);
    res.once('close', () => {
      void this.commands
        .consentryRateSettle(this.key(clientKey), this.key(`in-flight:${clientKey}`), WINDOW_SECONDS, reservation.authenticated ? '1' : '0')
        .catch(() => undefined);
    });
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

/** The client id a registration management request names in its path (`/register/{clientId}`), decoded. */
function managedClientId(url: string): string | undefined {
  const named = /^\/register\/([^/?]+)/.exec(url)?.[1];
  if (!named) return undefined;
  try {
    return decodeURIComponent(named);
  } catch {
    // Not a client id the registration routes can be handed: the address's limit alone applies.
    return undefined;
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
