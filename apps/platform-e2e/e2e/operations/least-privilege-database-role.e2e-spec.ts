import { randomBytes, randomUUID } from 'node:crypto';

import { grantApplicationRole } from '@consentry/database';
import type { TestDatabase } from '@consentry/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizeAsPsu, freshTotpCode } from '../../../../scripts/journey.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x3c);
const PISP = '/open-banking/v4.0/pisp';
/** PostgreSQL's insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';
/** PostgreSQL's check_violation. */
const CHECK_VIOLATION = '23514';

/**
 * The three apps connected as application roles that own nothing (docs/deployment.md): the migrations
 * run as the tables' owner, `grantApplicationRole` (what `DATABASE_APP_ROLE=... DATABASE_WORKER_ROLE=...
 * npm run db:migrate` runs) grants the API's and auth server's role and the worker's, and a TPP's
 * account-information and VRP journeys, the worker's audit relay and a revocation all work through them;
 * what the roles must not do (rewrite or prune the audit trail, switch its triggers off, change the schema
 * or the migration record) PostgreSQL refuses, and the request-serving role cannot touch an event in the
 * outbox once written nor append to the log. Until 6 December 2026 the split was documented and never run
 * (the apps were only ever tested as the tables' owner), and until that night the three apps shared one
 * role, so the API could rewrite or drop an event before the worker chained it.
 */
describe('the apps as least-privilege database roles', () => {
  let platform: TestPlatform;
  let roleUrl: string;
  let workerUrl: string;
  let role: string;
  let workerRole: string;

  beforeAll(async () => {
    platform = await startTestPlatform('least_privilege', {
      secretsKey: SECRETS_KEY,
      transactionsPerAccount: 3,
      seed: 23,
      prepareDatabase: async (db: TestDatabase) => {
        role = `${db.name}_app`;
        workerRole = `${db.name}_worker`;
        const roleAt = async (name: string): Promise<string> => {
          const password = randomBytes(18).toString('base64url');
          await db.dataSource.query(`CREATE ROLE "${name}" LOGIN PASSWORD '${password}'`);
          const url = new URL(db.url);
          url.username = name;
          url.password = password;
          return url.toString();
        };
        roleUrl = await roleAt(role);
        workerUrl = await roleAt(workerRole);
        // As a database made or restored from PostgreSQL 14 or older grants it: the grant must take it back.
        await db.dataSource.query(`GRANT CREATE ON SCHEMA public TO PUBLIC`);
        // A shared role first (as an installation from before the worker's own role): the split must take the relay back from it.
        await grantApplicationRole(db.dataSource, role);
        await grantApplicationRole(db.dataSource, role, { workerRole });
        return {
          env: { DATABASE_URL: roleUrl },
          appEnv: { worker: { DATABASE_URL: workerUrl } },
          // The roles are the server's, not the database's: their privileges are dropped with them, before their database goes.
          release: async () => {
            for (const name of [role, workerRole]) {
              await db.dataSource.query(`DROP OWNED BY "${name}"`);
              await db.dataSource.query(`DROP ROLE IF EXISTS "${name}"`);
            }
          },
        };
      },
    });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  /** Runs `sql` connected as the API's and auth server's role (or `url`'s); the error's SQLSTATE, or null when it succeeded. */
  async function asRole(sql: string, values: unknown[] = [], url = roleUrl): Promise<string | null> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql, values);
      return null;
    } catch (error) {
      return (error as { code?: string }).code ?? 'unknown';
    } finally {
      await client.end();
    }
  }

  it('runs an account-information journey, a VRP journey, the audit relay and a revocation as that role', async () => {
    const { tpp, sandbox, env, db } = platform;
    const psu = sandbox.psus[0]!;
    const sharedAccount = psu.accounts.find((a) => !/card/i.test(a.nickname))!.accountId;
    const authorise = async (consentId: string, scope?: string) => {
      const request = await tpp.pushAuthorizationRequest(consentId, scope);
      const outcome = await authorizeAsPsu({ authorizationUrl: request.url, issuer: env.AUTH_SERVER_URL!, psu, otp: () => freshTotpCode(psu.totpSecret), accountIds: [sharedAccount] });
      expect(outcome.redirect?.searchParams.get('code')).toBeTruthy();
      return tpp.exchangeCode(outcome.redirect!, request);
    };

    const ais = await tpp.createConsent((await tpp.clientCredentialsToken('accounts')).access_token, ['ReadAccountsDetail', 'ReadBalances']);
    expect(ais.status).toBe(201);
    const aisTokens = await authorise(ais.body.Data.ConsentId as string);
    const accounts = await tpp.api(aisTokens.access_token, 'GET', '/open-banking/v4.0/aisp/accounts');
    expect(accounts.status).toBe(200);
    expect(accounts.body.Data.Account.map((a: { AccountId: string }) => a.AccountId)).toEqual([sharedAccount]);

    await db.dataSource.query(`UPDATE balance SET amount = 500, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [sharedAccount]);
    const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400477778888', Name: 'Allotment Society' };
    const cc = await tpp.clientCredentialsToken('payments');
    const consent = await tpp.signedPost(cc.access_token, `${PISP}/domestic-vrp-consents`, {
      Data: {
        ControlParameters: {
          VRPType: ['UK.OBIE.VRPType.Other'],
          PSUAuthenticationMethods: ['UK.OBIE.SCA'],
          MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
          PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
        },
        Initiation: { CreditorAccount: payee },
      },
      Risk: {},
    });
    expect(consent.status).toBe(201);
    const consentId = consent.body.Data.ConsentId as string;
    const vrpTokens = await authorise(consentId, 'openid payments');
    const vrp = (amount: string, reference: string) => ({
      Data: {
        ConsentId: consentId,
        PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
        VRPType: 'UK.OBIE.VRPType.Other',
        Initiation: { CreditorAccount: payee },
        Instruction: { InstructionIdentification: `I-${reference}`, EndToEndIdentification: reference, InstructedAmount: { Amount: amount, Currency: 'GBP' }, CreditorAccount: payee },
      },
      Risk: {},
    });
    const paid = await tpp.signedPost(vrpTokens.access_token, `${PISP}/domestic-vrps`, vrp('12.50', 'PLOT-1'));
    expect(paid.status).toBe(201);
    expect(paid.body.Data.Status).toBe('ACSP');
    const paymentId = paid.body.Data.DomesticVRPId as string;

    // The worker, as the role, relays the payment's events into the hash-chained log.
    await expect
      .poll(async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event->'data'->>'paymentId' = $1`, [paymentId]))[0].n, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);

    expect((await tpp.api(cc.access_token, 'DELETE', `${PISP}/domestic-vrp-consents/${consentId}`)).status).toBe(204);
    // The grant went with the consent: the token is answered 401 invalid_token (openid-client throws on the challenge).
    await expect(tpp.signedPost(vrpTokens.access_token, `${PISP}/domestic-vrps`, vrp('1.00', 'PLOT-2'))).rejects.toThrow(/WWW-Authenticate/);

    // Every connection the API and the auth server hold is their role's, the worker's its own, and none of them met a privilege it lacked.
    const sessions: Array<{ app: string; usename: string }> = await db.dataSource.query(
      `SELECT DISTINCT application_name AS app, usename FROM pg_stat_activity
        WHERE datname = current_database() AND application_name NOT LIKE 'test-%' AND backend_type = 'client backend' ORDER BY 1, 2`,
    );
    expect(sessions.map((session) => session.app)).toEqual(expect.arrayContaining(['consentry-api', 'consentry-auth-server', 'consentry-worker']));
    // (The auth server's TPP-change listener has a connection of its own, as the auth server.)
    for (const session of sessions) expect(session, session.app).toEqual({ app: session.app, usename: session.app.startsWith('consentry-worker') ? workerRole : role });
    expect(platform.output.filter((line) => /permission denied|must be owner/i.test(line))).toEqual([]);
  });

  it('refuses either role any change to the audit trail, its triggers, its retention, the schema or the migration record', async () => {
    for (const url of [roleUrl, workerUrl]) {
      expect(await asRole(`SELECT count(*) FROM audit_log`, [], url)).toBeNull();
      expect(await asRole(`UPDATE audit_log SET event = event WHERE seq = (SELECT min(seq) FROM audit_log)`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`DELETE FROM audit_log WHERE seq = (SELECT min(seq) FROM audit_log)`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`TRUNCATE audit_log`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`ALTER TABLE audit_log DISABLE TRIGGER USER`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`INSERT INTO audit_retention_cut SELECT * FROM audit_retention_cut LIMIT 0`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`SELECT audit_log_prune(1, 'x', 'x', 'x')`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`DELETE FROM schema_migration`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`DROP TABLE payment_consent`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`CREATE TABLE shadow_ledger (id int)`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
    }
  });

  it('leaves the outbox’s events to the worker: the request-serving role adds them and can neither read, change nor drop one, nor append to the log', async () => {
    const { db } = platform;
    // An event as the API writes one; PostgreSQL checks a privilege before it reads a row, so each refusal holds whether the worker has relayed it yet or not.
    const event = { eventId: randomUUID(), type: 'consent.created', occurredAt: new Date().toISOString(), actor: { type: 'tpp', id: 'least-privilege-probe' }, data: {} };
    expect(await asRole(`INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2::jsonb)`, [event.eventId, JSON.stringify(event)])).toBeNull();
    expect(await asRole(`SELECT count(*) FROM audit_outbox`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`UPDATE audit_outbox SET event = event WHERE event_id = $1`, [event.eventId])).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`DELETE FROM audit_outbox WHERE event_id = $1`, [event.eventId])).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`INSERT INTO audit_log SELECT * FROM audit_log LIMIT 0`)).toBe(INSUFFICIENT_PRIVILEGE);
    // Nor move the worker's readers of the log past entries (their PSU alerts and TPP notifications unsent).
    expect(await asRole(`UPDATE event_production_cursor SET last_seq = 999999999`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`UPDATE alert_cursor SET last_seq = last_seq`)).toBe(INSUFFICIENT_PRIVILEGE);
    // Nor stop the chain with a row the writer cannot chain (until 6 December 2026 its batch failed on it,
    // and took the real events relayed with it down each time): PostgreSQL refuses it, from any role.
    const malformed = [
      { eventId: randomUUID() },
      { ...event, eventId: randomUUID(), occurredAt: 'yesterday' },
      { ...event, eventId: randomUUID(), type: 42 },
    ];
    for (const bad of malformed) expect(await asRole(`INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2::jsonb)`, [bad.eventId, JSON.stringify(bad)])).toBe(CHECK_VIOLATION);
    expect(await asRole(`INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2::jsonb)`, [randomUUID(), JSON.stringify({ ...event, eventId: randomUUID() })])).toBe(CHECK_VIOLATION);
    // The worker's role relays it: read and delete from the outbox, append to the log.
    expect(await asRole(`SELECT count(*) FROM audit_outbox`, [], workerUrl)).toBeNull();
    expect(await asRole(`INSERT INTO audit_log SELECT * FROM audit_log LIMIT 0`, [], workerUrl)).toBeNull();
    await expect.poll(async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event_id = $1`, [event.eventId]))[0].n, { timeout: 20_000 }).toBe(1);
  });

  it('keeps the admins’ rows to the tables’ owner: the role signs an admin in and counts a failure, and cannot give an admin a role, a password or a new admin', async () => {
    const { sandbox, env, db } = platform;
    const { admin } = sandbox;
    const signIn = async (password: string, otp: string) =>
      fetch(`${env.API_URL}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: admin.username, password, otp }) });
    const failuresOf = async (): Promise<number> => (await db.dataSource.query(`SELECT failed_login_count AS n FROM admin_user WHERE username = $1`, [admin.username]))[0].n;
    // A failed sign-in counts (the API writes the counter as the role), a good one clears it and records the TOTP step.
    expect((await signIn(`${admin.password}-wrong`, '000000')).status).toBe(401);
    expect(await failuresOf()).toBe(1);
    expect((await signIn(admin.password, await freshTotpCode(admin.totpSecret))).status).toBe(201);
    expect(await failuresOf()).toBe(0);
    expect(platform.output.filter((line) => /permission denied/i.test(line))).toEqual([]);

    // Until 7 December 2026 the role could write every column: SQL run as the API could give itself an admin with every role.
    const [{ admin_id: adminId }] = await db.dataSource.query(`SELECT admin_id FROM admin_user WHERE username = $1`, [admin.username]);
    for (const url of [roleUrl, workerUrl]) {
      expect(await asRole(`UPDATE admin_user SET roles = ARRAY['auditor'] WHERE admin_id = $1`, [adminId], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`UPDATE admin_user SET password_hash = password_hash WHERE admin_id = $1`, [adminId], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`UPDATE admin_user SET username = 'mallory' WHERE admin_id = $1`, [adminId], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(
        await asRole(`INSERT INTO admin_user (username, password_hash, totp_secret_enc, roles) VALUES ('mallory', 'x', 'x', ARRAY['auditor','payment-reviewer','tpp-manager','ledger-operator'])`, [], url),
      ).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`DELETE FROM admin_user WHERE admin_id = $1`, [adminId], url)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asRole(`TRUNCATE admin_user CASCADE`, [], url)).toBe(INSUFFICIENT_PRIVILEGE);
      // What a sign-in and a key rotation write stays writable.
      expect(await asRole(`UPDATE admin_user SET failed_login_count = failed_login_count, locked_until = locked_until, last_totp_step = last_totp_step, totp_secret_enc = totp_secret_enc WHERE admin_id = $1`, [adminId], url)).toBeNull();
    }
    expect((await db.dataSource.query(`SELECT roles FROM admin_user WHERE admin_id = $1`, [adminId]))[0].roles).toEqual(['auditor', 'payment-reviewer', 'tpp-manager', 'ledger-operator']);
  });

  it('will not grant a role that owns the tables, a member of their owner, a superuser, one that bypasses row security, or one that does not exist', async () => {
    const { db } = platform;
    const [{ owner }] = await db.dataSource.query(`SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'audit_log'`);
    // (Here the owner is the test server's superuser: refused as either.)
    await expect(grantApplicationRole(db.dataSource, owner as string)).rejects.toThrow(/owns the tables|superuser/);
    // A member may SET ROLE to the owner and switch the audit trail's triggers off; a superuser may anything.
    const member = `${role}_member`;
    const superuser = `${role}_super`;
    const bypassesRls = `${role}_bypassrls`;
    await db.dataSource.query(`CREATE ROLE "${member}" NOLOGIN IN ROLE "${owner as string}"`);
    await db.dataSource.query(`CREATE ROLE "${superuser}" NOLOGIN SUPERUSER`);
    await db.dataSource.query(`CREATE ROLE "${bypassesRls}" NOLOGIN BYPASSRLS`);
    try {
      await expect(grantApplicationRole(db.dataSource, member)).rejects.toThrow(/member of their owner/);
      await expect(grantApplicationRole(db.dataSource, superuser)).rejects.toThrow(/superuser/);
      await expect(grantApplicationRole(db.dataSource, bypassesRls)).rejects.toThrow(/bypasses row security/);
    } finally {
      for (const made of [member, superuser, bypassesRls]) await db.dataSource.query(`DROP ROLE "${made}"`);
    }
    await expect(grantApplicationRole(db.dataSource, `${role}_missing`)).rejects.toThrow(/does not exist/);
    await expect(grantApplicationRole(db.dataSource, 'Robert"; DROP TABLE x; --')).rejects.toThrow(/lower-case PostgreSQL role name/);
  });

  it('will not give the worker’s role the API’s own, one the API’s role is a member of, or one it would refuse as the API’s', async () => {
    const { db } = platform;
    await expect(grantApplicationRole(db.dataSource, role, { workerRole: role })).rejects.toThrow(/must be another role than DATABASE_APP_ROLE/);
    await expect(grantApplicationRole(db.dataSource, role, { workerRole: `${role}_missing` })).rejects.toThrow(/DATABASE_WORKER_ROLE\) does not exist/);
    await expect(grantApplicationRole(db.dataSource, role, { workerRole: 'Worker; DROP' })).rejects.toThrow(/DATABASE_WORKER_ROLE must be a lower-case/);
    // Membership passes privileges on: the API's role as a member of the worker's would relay, and rewrite, the outbox.
    const parent = `${role}_parent`;
    await db.dataSource.query(`CREATE ROLE "${parent}" NOLOGIN`);
    await db.dataSource.query(`GRANT "${parent}" TO "${role}"`);
    try {
      await expect(grantApplicationRole(db.dataSource, role, { workerRole: parent })).rejects.toThrow(/is a member of/);
    } finally {
      await db.dataSource.query(`DROP ROLE "${parent}"`);
    }
    // NOINHERIT members hold no privilege until they SET ROLE, which they may: refused as members all the same.
    const noInherit = `${role}_noinherit`;
    const [{ owner }] = await db.dataSource.query(`SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'audit_log'`);
    await db.dataSource.query(`CREATE ROLE "${noInherit}" NOLOGIN NOINHERIT`);
    try {
      await db.dataSource.query(`GRANT "${workerRole}" TO "${noInherit}"`);
      await expect(grantApplicationRole(db.dataSource, noInherit, { workerRole })).rejects.toThrow(/is a member of/);
      await db.dataSource.query(`REVOKE "${workerRole}" FROM "${noInherit}"`);
      await db.dataSource.query(`GRANT "${owner as string}" TO "${noInherit}"`);
      await expect(grantApplicationRole(db.dataSource, noInherit, { workerRole })).rejects.toThrow(/member of their owner/);
    } finally {
      await db.dataSource.query(`DROP ROLE "${noInherit}"`);
    }
    // PostgreSQL's predefined roles that read or write every table (a forged log entry, an emptied outbox).
    for (const [predefined, suffix] of [['pg_write_all_data', 'wad'], ['pg_read_all_data', 'rad']] as const) {
      const holder = `${role}_${suffix}`;
      await db.dataSource.query(`CREATE ROLE "${holder}" NOLOGIN IN ROLE ${predefined}`);
      try {
        await expect(grantApplicationRole(db.dataSource, holder, { workerRole })).rejects.toThrow(/reads or writes all data/);
        await expect(grantApplicationRole(db.dataSource, role, { workerRole: holder })).rejects.toThrow(/reads or writes all data/);
      } finally {
        await db.dataSource.query(`DROP ROLE "${holder}"`);
      }
    }
    // Refused before anything was granted: the API's role still cannot read the outbox.
    expect(await asRole(`SELECT count(*) FROM audit_outbox`)).toBe(INSUFFICIENT_PRIVILEGE);
  });
});
