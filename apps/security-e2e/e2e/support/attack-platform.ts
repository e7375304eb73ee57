import { randomUUID } from 'node:crypto';

import { PAN_SCHEME, panContext } from '@consentry/banking';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { createSandboxTppKeys, registerTpp, SandboxPsuCredentials, SandboxTppCredentials } from '@consentry/sandbox';
import { TestDatabase } from '@consentry/testing';
import { calculateJwkThumbprint, CryptoKey, exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';
import { getDPoPHandle } from 'openid-client';
import { expect } from 'vitest';

import { authorizeAsPsu, freshTotpCode, TppClient } from '../../../../scripts/journey.js';
import { startTestPlatform, TestPlatform } from '../../../platform-e2e/e2e/support/test-platform.js';

/**
 * The attack suite's platform: the three apps as processes from their builds (as `npm start` runs
 * them), on a database and Redis prefix of their own, with two TPPs (the sandbox TPP "A" and a second
 * TPP "B") so cross-tenant cases have a victim and an attacker.
 */
export interface AttackPlatform extends TestPlatform {
  tppB: TppClient;
  tppBCredentials: SandboxTppCredentials;
  /**
   * Every secret the run created or was handed (passwords, TOTP seeds, private keys' `d`, issued tokens,
   * full account and card numbers): the log scan looks for each.
   */
  secrets: Set<string>;
}

export const AISP = '/open-banking/v4.0/aisp';
export const ALL_READ_PERMISSIONS = ['ReadAccountsDetail', 'ReadBalances', 'ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits'];

const SECRETS_KEY = Buffer.alloc(32, 0x61);

/** The full number of every account in the ledger (card numbers decrypted): a log line may show only their last four. */
async function fullAccountNumbers(platform: TestPlatform): Promise<string[]> {
  const keys = new EnvironmentKeyManagement(SECRETS_KEY);
  const rows: Array<{ account_id: string; scheme_name: string; identification: string }> = await platform.db.dataSource.query(
    'SELECT account_id, scheme_name, identification FROM account',
  );
  return rows.map((row) => (row.scheme_name === PAN_SCHEME ? keys.decrypt(row.identification, panContext(row.account_id)) : row.identification));
}

export async function startAttackPlatform(label: string, options: { transactionsPerAccount?: number; env?: Record<string, string> } = {}): Promise<AttackPlatform> {
  const platform = await startTestPlatform(`attack_${label}`, {
    secretsKey: SECRETS_KEY,
    transactionsPerAccount: options.transactionsPerAccount ?? 8,
    seed: 11,
    // Everything the apps log, as production writes it, so the log scan has every line to search; the
    // attacker is not on the scrapers' network (documentation range), as in production.
    env: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json', METRICS_ALLOWED_CIDRS: '192.0.2.0/24', ...options.env },
  });
  try {
    const tppBCredentials = await createSandboxTppKeys(`attack-tpp-b-${label}`, 'Attack TPP B', 'https://tpp-b.localhost/callback');
    await platform.db.dataSource.transaction((manager) => registerTpp(manager, tppBCredentials, ['AISP', 'PISP', 'CBPII']));
    const tppB = await TppClient.create({ issuer: platform.env.AUTH_SERVER_URL!, apiUrl: platform.env.API_URL!, tpp: tppBCredentials });
    const secrets = new Set<string>();
    for (const psu of platform.sandbox.psus) secrets.add(psu.password).add(psu.totpSecret);
    secrets.add(platform.sandbox.admin.password).add(platform.sandbox.admin.totpSecret);
    for (const creds of [platform.sandbox.tpp, tppBCredentials]) {
      for (const key of creds.jwks.keys) if (typeof key.d === 'string') secrets.add(key.d);
    }
    for (const number of await fullAccountNumbers(platform)) secrets.add(number);
    return { ...platform, tppB, tppBCredentials, secrets };
  } catch (error) {
    await platform.stop();
    throw error;
  }
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' when empty). */
  body: JsonValue;
  text: string;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A plain HTTP request with nothing added: what an attacker's own client sends. */
export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  const response = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, redirect: 'manual' });
  const text = await response.text();
  let body: JsonValue = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
    try {
      body = JSON.parse(text) as JsonValue;
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** A form POST, as OAuth clients send to the token and PAR endpoints. */
export function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
}

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionOptions {
  clientId?: string;
  audience?: string;
  jti?: string;
}

/** A private_key_jwt client assertion (RFC 7523) signed with `signer`'s key, claiming to be `clientId`, for `issuer`. */
export async function clientAssertion(signer: SandboxTppCredentials, issuer: string, options: AssertionOptions = {}): Promise<string> {
  const jwk = signer.jwks.keys[0] as JWK;
  const alg = typeof jwk.alg === 'string' ? jwk.alg : 'ES256';
  const clientId = options.clientId ?? signer.client_id;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: jwk.kid! })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(options.audience ?? issuer)
    .setJti(options.jti ?? randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(await importJWK(jwk, alg));
}

/** The client-authentication form fields of a private_key_jwt request. */
export async function clientAuthFields(signer: SandboxTppCredentials, issuer: string, options: AssertionOptions = {}): Promise<Record<string, string>> {
  return { client_id: options.clientId ?? signer.client_id, client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(signer, issuer, options) };
}

/** The OB error code of the first error in an OBErrorResponse1 body. */
export function obErrorCode(result: HttpResult): string | undefined {
  const body = result.body as { Errors?: Array<{ ErrorCode?: string }> } | string;
  return typeof body === 'object' && body !== null ? body.Errors?.[0]?.ErrorCode : undefined;
}

/** The `Errors` array of an OBErrorResponse1 body. */
export function errorsOf(result: HttpResult): unknown {
  return (result.body as { Errors?: unknown }).Errors;
}

/** The OAuth `error` of an oidc-provider answer. */
export function oauthError(result: HttpResult): string | undefined {
  const body = result.body as { error?: string } | string;
  return typeof body === 'object' && body !== null ? body.error : undefined;
}

/** A DPoP key pair the attacker holds, with its public JWK and RFC 7638 thumbprint. */
export interface AttackerKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
  alg: 'ES256' | 'PS256';
}

export async function attackerKey(alg: 'ES256' | 'PS256' = 'ES256'): Promise<AttackerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk), alg };
}

export interface ProofOptions {
  htm: string;
  htu: string;
  accessToken?: string;
  iat?: number;
  jti?: string;
  typ?: string;
  /** A different public JWK in the header than the signing key's. */
  jwk?: JWK;
  extraClaims?: Record<string, unknown>;
}

/** A DPoP proof (RFC 9449) signed by `key`, with any part overridable to build a bad one. */
export async function dpopProof(key: AttackerKey, options: ProofOptions): Promise<string> {
  const { createHash } = await import('node:crypto');
  const claims: Record<string, unknown> = {
    htm: options.htm,
    htu: options.htu,
    ...(options.accessToken ? { ath: createHash('sha256').update(options.accessToken).digest('base64url') } : {}),
    ...options.extraClaims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: options.typ ?? 'dpop+jwt', jwk: options.jwk ?? key.publicJwk })
    .setIssuedAt(options.iat ?? Math.floor(Date.now() / 1000))
    .setJti(options.jti ?? randomUUID())
    .sign(key.privateKey);
}

/** Base64url of a JSON value: for hand-built tokens (alg none, tampered claims). */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The decoded payload of a compact JWS. */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

export interface AuthorisedConsent {
  consentId: string;
  accessToken: string;
  refreshToken?: string;
  accountIds: string[];
  psu: SandboxPsuCredentials;
}

/** A consent created by `tpp` and approved by `psu` with SCA for `accountIds` (default: the PSU's first account). */
export async function authorisedConsent(
  platform: AttackPlatform,
  tpp: TppClient,
  options: { permissions?: string[]; psu?: SandboxPsuCredentials; accountIds?: string[] } = {},
): Promise<AuthorisedConsent> {
  const psu = options.psu ?? platform.sandbox.psus[0]!;
  const accountIds = options.accountIds ?? [psu.accounts[0]!.accountId];
  const cc = await tpp.clientCredentialsToken();
  const created = await tpp.createConsent(cc.access_token, options.permissions ?? ALL_READ_PERMISSIONS, new Date(Date.now() + 86_400_000).toISOString());
  expect(created.status).toBe(201);
  const consentId = created.body.Data.ConsentId as string;
  const request = await tpp.pushAuthorizationRequest(consentId);
  const outcome = await authorizeAsPsu({
    authorizationUrl: request.url,
    issuer: platform.env.AUTH_SERVER_URL!,
    psu,
    otp: () => freshTotpCode(psu.totpSecret),
    accountIds,
  });
  expect(outcome.redirect?.searchParams.get('error')).toBeNull();
  const tokens = await tpp.exchangeCode(outcome.redirect!, request);
  platform.secrets.add(tokens.access_token);
  if (tokens.refresh_token) platform.secrets.add(tokens.refresh_token);
  return { consentId, accessToken: tokens.access_token, refreshToken: tokens.refresh_token, accountIds, psu };
}

/** A client-credentials token of `tpp`, remembered as a secret for the log scan. */
export async function clientCredentials(platform: AttackPlatform, tpp: TppClient, scope = 'accounts'): Promise<string> {
  const token = (await tpp.clientCredentialsToken(scope)).access_token as string;
  platform.secrets.add(token);
  return token;
}

// Tables no endpoint writes as a side effect of a refusal we assert on; the audit tables are compared
// by event (below); a case names the tables and oidc_model models its refusal is meant to write. PSU alerts
// and TPP events (and their cursors) are derived by the worker from the audit log on its own schedule,
// from whatever earlier requests audited: what a refusal audits is checked by event instead.
const NOT_FINGERPRINTED = new Set([
  'audit_outbox',
  'audit_log',
  'audit_retention_cut',
  'audit_checkpoint',
  'migrations',
  'typeorm_metadata',
  'alert_cursor',
  'psu_alert',
  'event_production_cursor',
  'event_notification',
]);

export interface WriteExpectation {
  /** Audit event types the refusal itself records (e.g. a failed sign-in): exactly these, no others. */
  audit?: string[];
  /** Tables allowed to change (e.g. a counter the refusal is meant to bump). */
  ignoreTables?: string[];
  /** oidc_model models allowed to change. */
  ignoreModels?: string[];
}

interface Snapshot {
  tables: Map<string, string>;
  eventIds: Set<string>;
}

async function snapshot(db: TestDatabase, expectation: WriteExpectation): Promise<Snapshot> {
  const ignoredTables = new Set([...NOT_FINGERPRINTED, ...(expectation.ignoreTables ?? [])]);
  const ignoredModels = expectation.ignoreModels ?? [];
  const names: Array<{ table_name: string }> = await db.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const tables = new Map<string, string>();
  for (const { table_name: table } of names) {
    if (ignoredTables.has(table)) continue;
    const where = table === 'oidc_model' ? `WHERE NOT (model = ANY($1))` : '';
    const rows: Array<{ fingerprint: string }> = await db.dataSource.query(
      `SELECT count(*) || ':' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') AS fingerprint FROM "${table}" t ${where}`,
      table === 'oidc_model' ? [ignoredModels] : [],
    );
    tables.set(table, rows[0]!.fingerprint);
  }
  const events: Array<{ event_id: string }> = await db.dataSource.query(`SELECT event_id FROM audit_outbox UNION SELECT event_id FROM audit_log`);
  return { tables, eventIds: new Set(events.map((e) => e.event_id)) };
}

// Audit events the worker records on its own schedule while it derives alerts and TPP events from what
// earlier requests audited: never a request's own act.
const WORKER_DERIVED_AUDIT_TYPES = ['alert.recorded', 'alert.emailed', 'event.delivered', 'event.dropped'];

async function auditTypes(db: TestDatabase, eventIds: string[]): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows: Array<{ type: string }> = await db.dataSource.query(
    `SELECT event->>'type' AS type FROM audit_outbox WHERE event_id = ANY($1::uuid[])
     UNION ALL SELECT event_type FROM audit_log WHERE event_id = ANY($1::uuid[]) AND event_id NOT IN (SELECT event_id FROM audit_outbox WHERE event_id = ANY($1::uuid[]))`,
    [eventIds],
  );
  return rows
    .map((r) => r.type)
    .filter((type) => !WORKER_DERIVED_AUDIT_TYPES.includes(type))
    .sort();
}

// Audit events are written after the response on some paths (group commits): a refusal that wrongly
// wrote one would show it within this grace.
const SETTLE_MS = 300;

/**
 * Runs `action` and asserts that it wrote nothing: every application table's rows are unchanged and no
 * audit event appeared, except the audit event types (and tables) the expectation names.
 */
export async function expectNothingWritten<T>(platform: AttackPlatform, action: () => Promise<T>, expectation: WriteExpectation = {}): Promise<T> {
  const before = await snapshot(platform.db, expectation);
  const result = await action();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const after = await snapshot(platform.db, expectation);
  const changed = [...after.tables].filter(([table, fingerprint]) => before.tables.get(table) !== fingerprint).map(([table]) => table);
  expect(changed, 'tables written by a refused request').toEqual([]);
  const added = [...after.eventIds].filter((id) => !before.eventIds.has(id));
  expect(await auditTypes(platform.db, added), 'audit events recorded by a refused request').toEqual([...(expectation.audit ?? [])].sort());
  return result;
}

/** Every secret the run knows of that appears in any app's output, masked for the failure message. */
export function secretsInLogs(platform: AttackPlatform): string[] {
  const found: string[] = [];
  const output = platform.output.join('\n');
  for (const secret of platform.secrets) {
    if (secret.length >= 6 && output.includes(secret)) found.push(`${secret.slice(0, 3)}…(${secret.length} chars)`);
  }
  return found;
}

/** The realm of a customer or admin API session (`POST /customer/sessions`, `POST /admin/sessions`). */
export type SessionRealm = 'customer' | 'admin';

/** Signs in to the customer or admin API with password and a fresh TOTP code; the token is remembered as a secret. */
export async function signIn(platform: AttackPlatform, realm: SessionRealm, user: { username: string; password: string; totpSecret: string }): Promise<string> {
  const result = await send(`${platform.env.API_URL}/${realm}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password, otp: await freshTotpCode(user.totpSecret) }),
  });
  expect(result.status, `sign-in to ${realm}: ${result.text}`).toBe(201);
  const token = (result.body as { accessToken: string }).accessToken;
  platform.secrets.add(token);
  return token;
}

/** A listener that records every request it receives: the target an SSRF attempt would make the platform call. */
export interface RecordingServer {
  url: string;
  /** `METHOD path` of every request received. */
  hits: string[];
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const { createServer } = await import('node:http');
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A compact JWS built by hand from a header, claims and a signature part (alg none, reused signatures). */
export function compactJws(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  return `${b64json(header)}.${b64json(claims)}.${signature}`;
}

/** Calls the API with `token` as a DPoP-bound access token and a valid proof of `key` for it (the token is what is attacked). */
export async function callWithToken(platform: AttackPlatform, key: AttackerKey, token: string, method: string, path: string, extraHeaders: Record<string, string> = {}): Promise<HttpResult> {
  const url = `${platform.env.API_URL}${path}`;
  const proof = await dpopProof(key, { htm: method, htu: url.split('?')[0]!, accessToken: token });
  return send(url, { method, headers: { authorization: `DPoP ${token}`, dpop: proof, accept: 'application/json', 'x-fapi-customer-ip-address': '203.0.113.7', ...extraHeaders } });
}

/** A TPP client whose DPoP key the test holds: its tokens are bound to `key`, so proofs for them can be built by hand (bad ones too). */
export interface KeyedTppClient {
  client: TppClient;
  key: AttackerKey;
  /** The same key as a private JWK (for a proof that wrongly carries it in its header). */
  privateJwk: JWK;
}

export async function tppWithKnownDpopKey(platform: AttackPlatform, credentials: SandboxTppCredentials): Promise<KeyedTppClient> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  platform.secrets.add(privateJwk.d!);
  const base = await TppClient.create({ issuer: platform.env.AUTH_SERVER_URL!, apiUrl: platform.env.API_URL!, tpp: credentials });
  const client = new TppClient(base.config, platform.env.API_URL!, credentials, getDPoPHandle(base.config, { privateKey, publicKey }));
  return { client, key: { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk), alg: 'ES256' }, privateJwk };
}

/**
 * An API call with exactly the Authorization and DPoP headers given (nothing added), as a thief or a
 * TPP reading on its own sends it: without x-fapi-customer-ip-address unless `headers` has it.
 */
export function apiCall(
  platform: AttackPlatform,
  method: string,
  path: string,
  options: { authorization?: string; dpop?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return send(`${platform.env.API_URL!}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(options.authorization ? { authorization: options.authorization } : {}),
      ...(options.dpop ? { dpop: options.dpop } : {}),
      ...options.headers,
    },
  });
}
