import { currentTotpCode } from '@consentry/identity';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freshTotpCode } from '../../../../scripts/journey.js';
import {
  AISP,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  expectNothingWritten,
  HttpResult,
  secretsInLogs,
  send,
  signIn,
  startAttackPlatform,
} from '../support/attack-platform.js';

let platform: AttackPlatform;
let bobMasked: AuthorisedConsent;
let bobWithPan: AuthorisedConsent;
let cardAccountId: string;
let api: string;
/** Sessions signed in once and shared (each sign-in spends a TOTP step). */
let aliceSession: string;
let adminSession: string;

const INVALID_CREDENTIALS = { error: 'invalid_credentials', message: 'The username, password or code is not correct' };

beforeAll(async () => {
  platform = await startAttackPlatform('pci');
  api = platform.env.API_URL!;
  const bob = platform.sandbox.psus[1]!;
  cardAccountId = bob.accounts.find((account) => account.nickname === 'Credit card')!.accountId;
  const detail = ['ReadAccountsDetail', 'ReadBeneficiariesDetail'];
  bobMasked = await authorisedConsent(platform, platform.tpp, { psu: bob, accountIds: [cardAccountId], permissions: detail });
  bobWithPan = await authorisedConsent(platform, platform.tpp, { psu: bob, accountIds: [cardAccountId], permissions: [...detail, 'ReadPAN'] });
});

afterAll(async () => platform?.stop());

function signInAttempt(realm: 'customer' | 'admin', body: Record<string, unknown>): Promise<HttpResult> {
  return send(`${api}/${realm}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}


/**
 * PCI DSS v4.0 requirement 8 (identify users and authenticate access): two factors every time, each
 * code once, random opaque session tokens that end at sign-out. Lockout: sign-in-throttle.security-spec.ts.
 */
describe('PCI DSS requirement 8: identification and authentication', () => {
  it('refuses a sign-in with one factor only (password without a valid code, code without the password)', async () => {
    const alice = platform.sandbox.psus[0]!;
    const missing = await expectNothingWritten(platform, () => signInAttempt('customer', { username: alice.username, password: alice.password }));
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request' });
    const wrongCode = await expectNothingWritten(platform, () => signInAttempt('customer', { username: alice.username, password: alice.password, otp: '000000' }), {
      audit: ['psu.login.failed'],
      ignoreTables: ['psu', 'login_throttle', 'psu_sign_in_failure'],
    });
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.body).toEqual(INVALID_CREDENTIALS);
    // A failed attempt does not use the code up: the current one is taken without spending a fresh one.
    const otp = await currentTotpCode(alice.totpSecret);
    const wrongPassword = await expectNothingWritten(platform, () => signInAttempt('customer', { username: alice.username, password: `${alice.password}x`, otp }), {
      audit: ['psu.login.failed'],
      ignoreTables: ['psu', 'login_throttle', 'psu_sign_in_failure'],
    });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toEqual(INVALID_CREDENTIALS);
    const admin = platform.sandbox.admin;
    const adminWrongCode = await expectNothingWritten(platform, () => signInAttempt('admin', { username: admin.username, password: admin.password, otp: '000000' }), {
      audit: ['admin.login.failed'],
      ignoreTables: ['admin_user', 'login_throttle'],
    });
    expect(adminWrongCode.status).toBe(401);
    expect(adminWrongCode.body).toEqual(INVALID_CREDENTIALS);
  });

  it('refuses a TOTP code used once already', async () => {
    const alice = platform.sandbox.psus[0]!;
    const otp = await freshTotpCode(alice.totpSecret);
    const first = await signInAttempt('customer', { username: alice.username, password: alice.password, otp });
    expect(first.status).toBe(201);
    aliceSession = (first.body as { accessToken: string }).accessToken;
    platform.secrets.add(aliceSession);
    const replay = await expectNothingWritten(platform, () => signInAttempt('customer', { username: alice.username, password: alice.password, otp }), {
      audit: ['psu.login.failed'],
      ignoreTables: ['psu', 'login_throttle', 'psu_sign_in_failure'],
    });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(INVALID_CREDENTIALS);
  });

  it('issues random, opaque session tokens and stores only their hash', async () => {
    adminSession = await signIn(platform, 'admin', platform.sandbox.admin);
    const tokens = [aliceSession, adminSession];
    expect(new Set(tokens).size).toBe(2);
    for (const token of tokens) {
      // 32 random bytes in base64url: no structure (not a JWT), no user data inside.
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const name of [platform.sandbox.psus[0]!.username, platform.sandbox.admin.username]) {
        expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain(name);
      }
    }
    const redis = new Redis(platform.redis.url);
    try {
      const keys = await redis.keys(`${platform.redis.prefix}:session:*`);
      expect(keys.length).toBeGreaterThanOrEqual(2);
      const stored = [...keys, ...(await Promise.all(keys.map((key) => redis.get(key))))].join('\n');
      for (const token of tokens) expect(stored).not.toContain(token);
    } finally {
      redis.disconnect();
    }
  });

  it('ends the session at sign-out: the token is refused afterwards', async () => {
    const session = await signIn(platform, 'admin', platform.sandbox.admin);
    const signOut = await send(`${api}/admin/sessions/current`, { method: 'DELETE', headers: { authorization: `Bearer ${session}` } });
    expect(signOut.status).toBe(204);
    for (const [method, path] of [
      ['GET', '/admin/audit-events'],
      ['POST', '/admin/audit-chain/verify'],
      ['DELETE', '/admin/sessions/current'],
    ] as const) {
      const result = await expectNothingWritten(platform, () => send(`${api}${path}`, { method, headers: { authorization: `Bearer ${session}` } }));
      expect(result.status).toBe(401);
      expect(result.body).toEqual({ error: 'unauthenticated', message: 'Sign in to the admin API first' });
    }
  });

  it('refuses a session token in the query string, and never echoes a refused token', async () => {
    const forged = 'Zm9yZ2VkLXNlc3Npb24tdG9rZW4tdGhhdC1kb2VzLW5vdC1leGlzdA';
    for (const request of [
      () => send(`${api}/customer/consents?access_token=${aliceSession}`),
      () => send(`${api}/customer/consents`, { headers: { authorization: `Bearer ${forged}` } }),
      () => send(`${api}/customer/consents`, { headers: { authorization: `Basic ${Buffer.from(`alice:${aliceSession}`).toString('base64')}` } }),
    ]) {
      const result = await expectNothingWritten(platform, request);
      expect(result.status).toBe(401);
      expect(result.body).toEqual({ error: 'unauthenticated', message: 'Sign in to the customer API first' });
      expect(result.text).not.toContain(forged);
      expect(result.text).not.toContain(aliceSession);
    }
  });

  it('refuses a customer session token on the admin API', async () => {
    const result = await expectNothingWritten(platform, () => send(`${api}/admin/audit-events/export?format=ndjson`, { headers: { authorization: `Bearer ${aliceSession}` } }));
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ error: 'unauthenticated', message: 'Sign in to the admin API first' });
  });
});

/**
 * PCI DSS v4.0 requirement 10 (log and monitor all access): failed sign-ins, exports and chain
 * verifications are recorded with their type; the log cannot be changed by the application's role and
 * holds no secret.
 */
describe('PCI DSS requirement 10: audit logs', () => {
  it('records failed sign-ins as psu.login.failed and admin.login.failed with their reason', async () => {
    const failures: Array<['customer' | 'admin', string, string]> = [
      ['customer', 'no-such-customer', 'psu.login.failed'],
      ['admin', 'no-such-admin', 'admin.login.failed'],
    ];
    for (const [realm, username, type] of failures) {
      const result = await expectNothingWritten(platform, () => signInAttempt(realm, { username, password: 'wrong-password', otp: '000000' }), { audit: [type], ignoreTables: ['login_throttle'] });
      expect(result.status).toBe(401);
      const rows: Array<{ event: { data: { reason: string } } }> = await platform.db.dataSource.query(
        `SELECT event FROM audit_outbox WHERE event->>'type' = $1 AND event->'data'->>'reason' = 'unknown_user'
         UNION ALL SELECT event FROM audit_log WHERE event_type = $1 AND event->'data'->>'reason' = 'unknown_user'`,
        [type],
      );
      expect(rows[0]?.event.data.reason).toBe('unknown_user');
    }
  });

  it('records an audit export (audit.exported) and a chain verification (audit.verified)', async () => {
    const session = adminSession;
    const exported = await expectNothingWritten(platform, () => send(`${api}/admin/audit-events/export?format=ndjson`, { headers: { authorization: `Bearer ${session}` } }), {
      audit: ['audit.exported'],
    });
    expect(exported.status).toBe(200);
    const verified = await expectNothingWritten(platform, () => send(`${api}/admin/audit-chain/verify`, { method: 'POST', headers: { authorization: `Bearer ${session}` } }), {
      audit: ['audit.verified'],
    });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ intact: true });
  });

  it("refuses UPDATE, DELETE and TRUNCATE of audit_log under the application's database role", async () => {
    for (let waited = 0; waited < 100; waited++) {
      const rows: Array<{ n: string }> = await platform.db.dataSource.query(`SELECT count(*) AS n FROM audit_log`);
      if (Number(rows[0]!.n) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const client = new pg.Client({ connectionString: platform.env.DATABASE_URL });
    await client.connect();
    try {
      for (const [statement, op] of [
        [`UPDATE audit_log SET event_type = 'tampered'`, 'UPDATE'],
        [`DELETE FROM audit_log`, 'DELETE'],
        [`TRUNCATE audit_log`, 'TRUNCATE'],
      ] as const) {
        await expectNothingWritten(platform, async () => {
          await expect(client.query(statement)).rejects.toThrow(`audit_log is append-only: ${op} refused`);
        });
      }
    } finally {
      await client.end();
    }
  });

  it("records each read of card data as data.accessed with the TPP, the consent and the account (no data)", async () => {
    const result = await expectNothingWritten(platform, () => platform.tpp.api(bobMasked.accessToken, 'GET', `${AISP}/accounts/${cardAccountId}`), { audit: ['data.accessed'] });
    expect(result.status).toBe(200);
    const rows: Array<{ event: { actor: unknown; clientId: string; consentId: string; data: Record<string, unknown> } }> = await platform.db.dataSource.query(
      `SELECT event FROM (SELECT event, created_seq AS n FROM audit_outbox WHERE event->>'type' = 'data.accessed'
         UNION ALL SELECT event, seq FROM audit_log WHERE event_type = 'data.accessed') e
        WHERE event->>'consentId' = $1 ORDER BY n DESC LIMIT 1`,
      [bobMasked.consentId],
    );
    expect(rows[0]?.event).toMatchObject({
      actor: { type: 'tpp', id: platform.tpp.tpp.client_id },
      clientId: platform.tpp.tpp.client_id,
      consentId: bobMasked.consentId,
      data: { resource: 'accounts', accountIds: [cardAccountId], count: 1 },
    });
  });

  it('keeps every secret of the run out of the audit events', async () => {
    const events: Array<{ text: string }> = await platform.db.dataSource.query(
      `SELECT event::text AS text FROM audit_outbox UNION ALL SELECT event::text FROM audit_log`,
    );
    const all = events.map((e) => e.text).join('\n');
    expect(all.length).toBeGreaterThan(0);
    const leaked = [...platform.secrets].filter((secret) => secret.length >= 6 && all.includes(secret));
    expect(leaked).toEqual([]);
  });
});

/**
 * PCI DSS v4.0 requirement 3 (protect stored account data): a card number leaves the platform in full
 * only under ReadPAN, masked to at most the first six and last four digits otherwise; it is stored
 * encrypted, and neither it nor any credential shows in an error.
 */
describe('PCI DSS requirement 3: stored account data', () => {
  let fullPan: string;

  beforeAll(async () => {
    const result = await platform.tpp.api(bobWithPan.accessToken, 'GET', `${AISP}/accounts/${cardAccountId}`);
    fullPan = result.body.Data.Account[0].Account[0].Identification as string;
    platform.secrets.add(fullPan);
  });

  it('masks the card number of an account without ReadPAN (first six, last four)', async () => {
    const result = await expectNothingWritten(platform, () => platform.tpp.api(bobMasked.accessToken, 'GET', `${AISP}/accounts/${cardAccountId}`), { audit: ['data.accessed'] });
    expect(result.status).toBe(200);
    const identification = result.body.Data.Account[0].Account[0];
    expect(identification.SchemeName).toBe('UK.OBIE.PAN');
    expect(identification.Identification).toBe(`${fullPan.slice(0, 6)}${'*'.repeat(fullPan.length - 10)}${fullPan.slice(-4)}`);
    expect(JSON.stringify(result.body)).not.toContain(fullPan);
  });

  it('masks a beneficiary card number without ReadPAN', async () => {
    const masked = await expectNothingWritten(platform, () => platform.tpp.api(bobMasked.accessToken, 'GET', `${AISP}/accounts/${cardAccountId}/beneficiaries`), { audit: ['data.accessed'] });
    expect(masked.status).toBe(200);
    const cards = (masked.body.Data.Beneficiary as Array<{ CreditorAccount?: { SchemeName: string; Identification: string } }>).filter((b) => b.CreditorAccount?.SchemeName === 'UK.OBIE.PAN');
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) expect(card.CreditorAccount!.Identification).toMatch(/^\d{6}\*+\d{4}$/);
    const full = await platform.tpp.api(bobWithPan.accessToken, 'GET', `${AISP}/accounts/${cardAccountId}/beneficiaries`);
    const fullPans = (full.body.Data.Beneficiary as Array<{ CreditorAccount?: { SchemeName: string; Identification: string } }>)
      .filter((b) => b.CreditorAccount?.SchemeName === 'UK.OBIE.PAN')
      .map((b) => b.CreditorAccount!.Identification);
    expect(fullPans.length).toBe(cards.length);
    for (const pan of fullPans) {
      platform.secrets.add(pan);
      expect(pan).toMatch(/^\d{16}$/);
      expect(JSON.stringify(masked.body)).not.toContain(pan);
    }
  });

  it('shows the full card number only under ReadPAN', async () => {
    const result = await expectNothingWritten(platform, () => platform.tpp.api(bobWithPan.accessToken, 'GET', `${AISP}/accounts/${cardAccountId}`), { audit: ['data.accessed'] });
    expect(result.status).toBe(200);
    expect(result.body.Data.Account[0].Account[0].Identification).toBe(fullPan);
    expect(fullPan).toMatch(/^\d{16}$/);
  });

  it("shows no card number in the admin's view of the audit events of the card's reads", async () => {
    const admin = adminSession;
    // A read, not a refusal: audit-log views are themselves audited once issue 11's item 8 lands. The
    // reads' events reach the chained log within the worker's relay interval.
    let events = await send(`${api}/admin/audit-events?type=data.accessed&limit=500`, { headers: { authorization: `Bearer ${admin}` } });
    for (let waited = 0; waited < 50 && !events.text.includes(cardAccountId); waited++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events = await send(`${api}/admin/audit-events?type=data.accessed&limit=500`, { headers: { authorization: `Bearer ${admin}` } });
    }
    expect(events.status).toBe(200);
    expect(events.text).toContain(cardAccountId);
    expect(events.text).not.toContain(fullPan);
    expect(events.text).not.toContain(fullPan.slice(6, 12));
  });

  it('answers a failed sign-in without echoing the password or the code', async () => {
    const carolName = platform.sandbox.psus[2]!.username;
    const password = 'Secret-Password-Echo-Check-1';
    platform.secrets.add(password);
    const result = await expectNothingWritten(platform, () => signInAttempt('customer', { username: `${carolName}-nobody`, password, otp: '135791' }), { audit: ['psu.login.failed'], ignoreTables: ['login_throttle'] });
    expect(result.status).toBe(401);
    expect(result.body).toEqual(INVALID_CREDENTIALS);
    expect(result.text).not.toContain(password);
    expect(result.text).not.toContain('135791');
  });
});

/**
 * PCI DSS v4.0 10.3.4: a change to the audit log made behind the application's back (a superuser
 * switching the append-only trigger off) is detected by the chain verification. Last: it breaks the chain.
 */
describe('PCI DSS requirement 10.3.4: audit log change detection', () => {
  it('detects an audit_log entry edited with the append-only trigger bypassed', async () => {
    const rows: Array<{ seq: string }> = await platform.db.dataSource.query(`SELECT seq FROM audit_log ORDER BY seq LIMIT 1 OFFSET 1`);
    const seq = rows[0]!.seq;
    await platform.db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(`UPDATE audit_log SET event = jsonb_set(event, '{data,tampered}', 'true') WHERE seq = $1`, [seq]);
    });
    const verified = await expectNothingWritten(platform, () => send(`${api}/admin/audit-chain/verify`, { method: 'POST', headers: { authorization: `Bearer ${adminSession}` } }), {
      audit: ['audit.verified'],
    });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ intact: false, firstBrokenSeq: seq });
  });
});

describe('logs after the attacks', () => {
  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
