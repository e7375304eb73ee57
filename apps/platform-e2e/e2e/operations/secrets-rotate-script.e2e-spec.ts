import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LEDGER_CIPHERTEXT_COLUMNS } from '@consentry/banking';
import { approvalOf, AuthorisePaymentConsent, CreatePaymentConsent, PaymentApprovalSeal } from '@consentry/consents';
import { CredentialAuthenticator, currentTotpCode, EnvironmentKeyManagement, IDENTITY_CIPHERTEXT_COLUMNS } from '@consentry/identity';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { ROOT } from '../../../../scripts/platform.js';

const A = Buffer.alloc(32, 0xa1);
const B = Buffer.alloc(32, 0xb2);

function rotate(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/secrets-rotate.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm run secrets:rotate` as an operator runs it: the built libs, the environment's keys and database. */
describe('npm run secrets:rotate', () => {
  let db: TestDatabase;
  let credentials: SandboxCredentials;

  beforeAll(async () => {
    db = await createTestDatabase('secrets_rotate_script');
    credentials = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(A), transactionsPerAccount: 1, seed: 9 });
  });
  afterAll(async () => db?.drop());

  /** A domestic payment consent alice approved while the keyring was `default:A` alone. */
  async function approvedUnderA(): Promise<string> {
    const alice = credentials.psus[0]!;
    const [{ psu_id: psuId }] = await db.dataSource.query(`SELECT psu_id::text AS psu_id FROM psu WHERE username = $1`, [alice.username]);
    const { consentId } = await new CreatePaymentConsent(db.dataSource).execute({
      clientId: credentials.tpp.client_id,
      kind: 'domestic-payment',
      initiation: {
        InstructionIdentification: 'I-ROTATE',
        EndToEndIdentification: 'E-ROTATE',
        InstructedAmount: { Amount: '5.00', Currency: 'GBP' },
        CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Payee Ltd' },
      },
      risk: {},
    });
    const debtorAccountId = alice.accounts[0]!.accountId;
    await new AuthorisePaymentConsent(db.dataSource, new PaymentApprovalSeal([{ kid: 'default', key: A }]), 3600).execute({
      consentId,
      clientId: credentials.tpp.client_id,
      psuId,
      debtorAccountId,
      grantId: `grant-${consentId}`,
    });
    return consentId;
  }

  it('re-encrypts everything under the first key of SECRETS_KEYS, says how much, and then the new key alone reads it all', async () => {
    const approved = await approvedUnderA();
    const env = { DATABASE_URL: db.url, SECRETS_KEYS: `b:${B.toString('base64')},default:${A.toString('base64')}` };
    const first = await rotate(env, '--batch-size', '2');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^psu\.totp_secret_enc: 3 re-encrypted\nadmin_user\.totp_secret_enc: 2 re-encrypted\n/);
    expect(first.stdout).toContain('payment_consent.initiation_hash: 1 approvals re-sealed\n');
    expect(first.stdout).toMatch(/every secret at rest is under key "b" \(\d+ re-encrypted by this run\)\n$/);
    for (const secret of [A.toString('base64'), B.toString('base64'), ...credentials.psus.map((p) => p.totpSecret)]) {
      expect(first.stdout).not.toContain(secret);
    }

    const again = await rotate(env, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ keyId: 'b', reencrypted: 0, paymentApprovals: { keyId: 'b', resealed: 0, unverified: [] } });

    // The PSU's approval, re-sealed under b, holds with b alone: removing A does not make alice approve again.
    const [consent] = await db.dataSource.query(
      `SELECT consent_id AS "consentId", client_id AS "clientId", psu_id::text AS "psuId", debtor_account_id AS "debtorAccountId", kind, initiation, control_parameters AS "controlParameters",
              creation_date_time AS "creationDateTime", expiration_date_time AS "expirationDateTime", initiation_hash AS seal
         FROM payment_consent WHERE consent_id = $1`,
      [approved],
    );
    expect(consent.seal).toMatch(/^v1\.b\./);
    expect(new PaymentApprovalSeal([{ kid: 'b', key: B }]).holds(consent.seal, approvalOf(consent))).toBe(true);
    // The rotation's audit event counts the approvals it re-sealed (the second run re-sealed none).
    const events: Array<{ data: Record<string, unknown> }> = await db.dataSource.query(
      `SELECT event->'data' AS data FROM audit_outbox WHERE event->>'type' = 'secrets.rotated' ORDER BY event->>'occurredAt'`,
    );
    expect(events.map((e) => [e.data.resealedPaymentApprovals, e.data.unverifiedPaymentApprovals])).toEqual([
      [1, 0],
      [0, 0],
    ]);

    const onlyB = new EnvironmentKeyManagement([{ kid: 'b', key: B }]);
    for (const column of [...IDENTITY_CIPHERTEXT_COLUMNS, ...LEDGER_CIPHERTEXT_COLUMNS]) {
      const rows: { id: string; value: string }[] = await db.dataSource.query(
        `SELECT ${column.idColumn}::text AS id, ${column.valueColumn} AS value FROM ${column.table}${column.where ? ` WHERE ${column.where}` : ''}`,
      );
      for (const row of rows) expect(() => onlyB.decrypt(row.value, column.context(row.id))).not.toThrow();
    }
    const alice = credentials.psus[0]!;
    await expect(
      new CredentialAuthenticator(db.dataSource, onlyB).authenticatePsu({ username: alice.username, password: alice.password, otp: await currentTotpCode(alice.totpSecret), ip: '192.0.2.10' }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('stops with exit code 2 and a message naming the row, not the value, when no configured key reads a value', async () => {
    const result = await rotate({ DATABASE_URL: db.url, SECRETS_KEYS: `c:${Buffer.alloc(32, 0xc3).toString('base64')}` });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^secrets:rotate: psu\.totp_secret_enc of psu_id [0-9a-f-]{36} does not decrypt \(no configured key has the id "b"\); 0 values were re-encrypted before it\nValues re-encrypted so far stay so; fix the cause and run it again to finish\.\n$/,
    );
  });
});
