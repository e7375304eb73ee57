import { randomBytes } from 'node:crypto';

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

/**
 * The three apps connected as an application role that owns nothing (docs/deployment.md): the migrations
 * run as the tables' owner, `grantApplicationRole` (what `DATABASE_APP_ROLE=... npm run db:migrate` runs)
 * grants the role, and a TPP's account-information and VRP journeys, the worker's audit relay and a
 * revocation all work through it; what the role must not do (rewrite or prune the audit trail, switch
 * its triggers off, change the schema or the migration record) PostgreSQL refuses. Until 6 December 2026
 * the split was documented and never run: the apps were only ever tested as the tables' owner.
 */
describe('the apps as a least-privilege database role', () => {
  let platform: TestPlatform;
  let roleUrl: string;
  let role: string;

  beforeAll(async () => {
    platform = await startTestPlatform('least_privilege', {
      secretsKey: SECRETS_KEY,
      transactionsPerAccount: 3,
      seed: 23,
      prepareDatabase: async (db: TestDatabase) => {
        role = `${db.name}_app`;
        const password = randomBytes(18).toString('base64url');
        await db.dataSource.query(`CREATE ROLE "${role}" LOGIN PASSWORD '${password}'`);
        // As a database made or restored from PostgreSQL 14 or older grants it: the grant must take it back.
        await db.dataSource.query(`GRANT CREATE ON SCHEMA public TO PUBLIC`);
        await grantApplicationRole(db.dataSource, role);
        const url = new URL(db.url);
        url.username = role;
        url.password = password;
        roleUrl = url.toString();
        return {
          env: { DATABASE_URL: roleUrl },
          // The role is the server's, not the database's: its privileges are dropped with it, before its database goes.
          release: async () => {
            await db.dataSource.query(`DROP OWNED BY "${role}"`);
            await db.dataSource.query(`DROP ROLE IF EXISTS "${role}"`);
          },
        };
      },
    });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  /** Runs `sql` connected as the application role; the error's SQLSTATE, or null when it succeeded. */
  async function asRole(sql: string, values: unknown[] = []): Promise<string | null> {
    const client = new pg.Client({ connectionString: roleUrl });
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

    // Every connection the apps hold is the role's, and none of them met a privilege it lacked.
    const sessions: Array<{ usename: string }> = await db.dataSource.query(
      `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name NOT LIKE 'test-%' AND backend_type = 'client backend'`,
    );
    expect(sessions).toEqual([{ usename: role }]);
    expect(platform.output.filter((line) => /permission denied|must be owner/i.test(line))).toEqual([]);
  });

  it('refuses the role any change to the audit trail, its triggers, its retention, the schema or the migration record', async () => {
    expect(await asRole(`SELECT count(*) FROM audit_log`)).toBeNull();
    expect(await asRole(`UPDATE audit_log SET event = event WHERE seq = (SELECT min(seq) FROM audit_log)`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`DELETE FROM audit_log WHERE seq = (SELECT min(seq) FROM audit_log)`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`TRUNCATE audit_log`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`ALTER TABLE audit_log DISABLE TRIGGER USER`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`INSERT INTO audit_retention_cut SELECT * FROM audit_retention_cut LIMIT 0`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`SELECT audit_log_prune(1, 'x', 'x', 'x')`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`DELETE FROM schema_migration`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`DROP TABLE payment_consent`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await asRole(`CREATE TABLE shadow_ledger (id int)`)).toBe(INSUFFICIENT_PRIVILEGE);
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
});
