import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AuthoriseAccountAccessConsent, PaymentApprovalSeal, Permission } from '@consentry/consents';
import { AggregatedBank, SandboxLedgerConnector } from '@consentry/banking';
import { ApiConfig, loadApiConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { currentTotpCode, EnvironmentKeyManagement } from '@consentry/identity';
import { DENY_LIST_ONLY_RULES_FILE } from '@consentry/risk';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';

import { RunningApi, startApi, StartApiOptions } from '../../src/api.bootstrap.js';
import { DpopKey, ProofOptions } from './dpop-key.js';
import { TppMessageSigner } from './tpp-message-signer.js';
import { AccessTokenOptions, LocalIssuer } from './local-issuer.js';

export const AISP = '/open-banking/v4.0/aisp';
const SECRETS_KEY = Buffer.alloc(32, 0x33);

export interface TppCallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  proof?: ProofOptions | false;
  /** Send this exact proof (for replay tests). */
  proofValue?: string;
  /**
   * Whether the PSU is present: true (the default) sends x-fapi-customer-ip-address, so the unattended
   * limit of PSD2 RTS Art. 36(5) does not apply; false leaves it out.
   */
  attended?: boolean;
}

export interface SignedPostOptions extends TppCallOptions {
  /** The x-idempotency-key: a fresh one by default; false sends none (VRP /funds-confirmation takes none). */
  idempotencyKey?: string | false;
}

/** The PSU's address the harness reports on attended calls (TEST-NET-2). */
export const CUSTOMER_IP = '198.51.100.7';

/**
 * A response body in test code. Every success body is validated against the official schema; the
 * assertions then read it as a JSON tree rather than restating the OB types: each member or item is
 * another JsonBody, and an array's own members (length, map, find...) keep their types. It is not `any`:
 * a value must be narrowed (`String(...)`, `typeof`) before it is passed where a string or number is
 * required, and nothing can be assigned through it.
 */
export type JsonBody = JsonObject & JsonArray;
interface JsonObject {
  readonly [member: string]: JsonBody;
}
type JsonArray = readonly JsonBody[];

/** A member of a body that must be a JSON string: the test fails here if it is anything else. */
export function jsonString(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`expected a JSON string, got ${JSON.stringify(value)}`);
  return value;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: JsonBody;
  proof?: string;
}

/**
 * One API under test: its own database (migrated, seeded sandbox), its own Redis prefix, a local token
 * issuer and a DPoP key for the sandbox TPP.
 */
export class ApiHarness {
  private readonly sessions = new Map<string, string>();
  private signer?: TppMessageSigner;

  private constructor(
    readonly db: TestDatabase,
    readonly redis: TestRedis,
    readonly issuer: LocalIssuer,
    readonly api: RunningApi,
    readonly config: ApiConfig,
    readonly sandbox: SandboxCredentials,
    readonly dpop: DpopKey,
  ) {}

  /**
   * `servers` puts the suite's database on another PostgreSQL (a private primary) and, with
   * `readReplicaServerUrl`, points DATABASE_READ_URL at the same database on that server's replica.
   */
  static async start(
    label: string,
    env: Record<string, string> = {},
    options: StartApiOptions = {},
    servers: { databaseServerUrl?: string; readReplicaServerUrl?: string } = {},
  ): Promise<ApiHarness> {
    const db = await createTestDatabase(label, servers.databaseServerUrl);
    const replicaUrl = servers.readReplicaServerUrl ? new URL(servers.readReplicaServerUrl) : undefined;
    if (replicaUrl) replicaUrl.pathname = `/${db.name}`;
    const redis = createTestRedis(label);
    const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(SECRETS_KEY), seed: 7, transactionsPerAccount: 30 });
    const issuer = await LocalIssuer.start();
    // The API's generated sandbox keys (message signing) go to a directory of the suite's own.
    const dataDir = await mkdtemp(join(tmpdir(), `consentry-api-${label}-`));
    // An empty deny-list of the suite's own (production needs the file; a suite names its own in `env`).
    await writeFile(join(dataDir, 'deny-list.json'), '[]');
    const config = loadApiConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      SECRETS_KEY: SECRETS_KEY.toString('base64'),
      API_PORT: '0',
      API_URL: 'http://127.0.0.1:0',
      AUTH_SERVER_URL: issuer.url,
      LOG_LEVEL: process.env.API_TEST_LOG_LEVEL ?? 'silent',
      SESSION_IDLE_SECONDS: '60',
      ...(replicaUrl ? { DATABASE_READ_URL: replicaUrl.toString() } : {}),
      // Only the deny-list: payment suites pay freely; the monitoring suites name their rules file.
      RISK_RULES_FILE: DENY_LIST_ONLY_RULES_FILE,
      RISK_DENY_LIST_FILE: join(dataDir, 'deny-list.json'),
      ...env,
      CONSENTRY_DATA_DIR: dataDir,
    });
    const api = await startApi(config, { connectors: [], ...options });
    return new ApiHarness(db, redis, issuer, api, config, sandbox, await DpopKey.generate());
  }

  get dataSource(): DataSource {
    return this.db.dataSource;
  }

  /** The banks as the worker reaches them (the sandbox ledger), for a test that runs what the worker runs. */
  bank(): AggregatedBank {
    return new AggregatedBank(this.dataSource, [new SandboxLedgerConnector(this.dataSource, new EnvironmentKeyManagement(this.config.secretsKeys))]);
  }

  /** The approvals' seal as the worker and the API check it (the API's SECRETS_KEY), for a test that runs what the worker runs. */
  approvals(): PaymentApprovalSeal {
    return new PaymentApprovalSeal(this.config.secretsKeys);
  }

  get clientId(): string {
    return this.sandbox.tpp.client_id;
  }

  async stop(): Promise<void> {
    await this.api?.close();
    await this.issuer?.close();
    await this.redis?.cleanup();
    await this.db?.drop();
    await rm(this.config.dataDir, { recursive: true, force: true });
  }

  /** A client-credentials token of the sandbox TPP (scope accounts, no consent). */
  clientCredentialsToken(overrides: Partial<AccessTokenOptions> = {}): Promise<string> {
    return this.issuer.mintAccessToken({ clientId: this.clientId, audience: this.api.publicUrl, jkt: this.dpop.jkt, ...overrides });
  }

  /** A token bound to an authorised consent, as after the authorization code flow. */
  consentToken(consentId: string, overrides: Partial<AccessTokenOptions> = {}): Promise<string> {
    // authorisedConsent saves the consent with this grant, as the authorization server's consent step does.
    return this.issuer.mintAccessToken({ clientId: this.clientId, audience: this.api.publicUrl, jkt: this.dpop.jkt, consentId, grantId: `grant-${consentId}`, ...overrides });
  }

  /** A TPP call with DPoP: `Authorization: DPoP <token>` and a fresh proof for this method and URL. */
  async tpp(method: string, path: string, options: TppCallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...(options.attended === false ? {} : { 'x-fapi-customer-ip-address': CUSTOMER_IP }), ...(options.headers ?? {}) };
    let proof: string | undefined;
    if (options.token) {
      headers.authorization ??= `DPoP ${options.token}`;
      if (options.proofValue) proof = options.proofValue;
      else if (options.proof !== false) proof = await this.dpop.proof(method, `${this.api.publicUrl}${path}`, options.token, options.proof || {});
      if (proof) headers.dpop = proof;
    }
    return { ...(await this.call(method, path, { ...options, headers })), proof };
  }

  /**
   * A PIS or VRP POST as the sandbox TPP sends it: the exact body bytes signed (x-jws-signature) and an
   * x-idempotency-key. `headers` can override either.
   */
  async signedPost(path: string, options: SignedPostOptions = {}): Promise<CallResult> {
    const rawBody = options.rawBody ?? (options.body === undefined ? '' : JSON.stringify(options.body));
    this.signer ??= await TppMessageSigner.of(this.sandbox.tpp);
    const key = options.idempotencyKey ?? randomUUID();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-jws-signature': await this.signer.sign(rawBody),
      ...(key === false ? {} : { 'x-idempotency-key': key }),
      ...(options.headers ?? {}),
    };
    return this.tpp('POST', path, { ...options, body: undefined, rawBody, headers });
  }

  /** A plain call (customer and admin APIs, or raw requests). */
  async call(method: string, path: string, options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.api.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as JsonBody };
  }

  async psuId(username: string): Promise<string> {
    const [row] = await this.dataSource.query(`SELECT psu_id FROM psu WHERE username = $1`, [username]);
    return row.psu_id as string;
  }

  psuAccounts(username: string): string[] {
    return this.sandbox.psus.find((p) => p.username === username)!.accounts.map((a) => a.accountId);
  }

  /** Creates a consent through the API and authorises it for `username` as the consent page will. */
  async authorisedConsent(permissions: Permission[], username = 'alice', accountIds?: string[], data: Record<string, string> = {}): Promise<string> {
    const created = await this.tpp('POST', `${AISP}/account-access-consents`, {
      token: await this.clientCredentialsToken(),
      body: { Data: { Permissions: permissions, ...data }, Risk: {} },
    });
    if (created.status !== 201) throw new Error(`consent creation failed: ${created.status} ${JSON.stringify(created.body)}`);
    const consentId = jsonString(created.body.Data.ConsentId);
    await new AuthoriseAccountAccessConsent(this.dataSource, this.config.consentAwaitingMaxAgeSeconds).execute({
      consentId,
      clientId: this.clientId,
      psuId: await this.psuId(username),
      accountIds: accountIds ?? this.psuAccounts(username),
      grantId: `grant-${consentId}`,
    });
    return consentId;
  }

  /**
   * Signs a PSU in on the customer API (password + current TOTP). Cached per PSU: a TOTP code is
   * accepted once, so a second sign-in within the same 30 s step would be refused.
   */
  async customerSession(username = 'alice'): Promise<string> {
    const cached = this.sessions.get(`customer:${username}`);
    if (cached) return cached;
    const psu = this.sandbox.psus.find((p) => p.username === username)!;
    const result = await this.call('POST', '/customer/sessions', {
      body: { username, password: psu.password, otp: await currentTotpCode(psu.totpSecret) },
    });
    if (result.status !== 201) throw new Error(`customer sign-in failed: ${result.status} ${JSON.stringify(result.body)}`);
    const token = jsonString(result.body.accessToken);
    this.sessions.set(`customer:${username}`, token);
    return token;
  }

  /** An admin API session of the sandbox admin, or of the second admin (`reviewer`, for four-eyes reviews). */
  async adminSession(who: 'admin' | 'reviewer' = 'admin'): Promise<string> {
    const cached = this.sessions.get(who);
    if (cached) return cached;
    const admin = who === 'admin' ? this.sandbox.admin : this.sandbox.reviewer!;
    const result = await this.call('POST', '/admin/sessions', {
      body: { username: admin.username, password: admin.password, otp: await currentTotpCode(admin.totpSecret) },
    });
    if (result.status !== 201) throw new Error(`admin sign-in failed: ${result.status} ${JSON.stringify(result.body)}`);
    const token = jsonString(result.body.accessToken);
    this.sessions.set(who, token);
    return token;
  }
}
