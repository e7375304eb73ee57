import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConsentExceptionCode } from './consent.exception.js';
import { ReauthenticateAccountAccessConsent } from './reauthenticate-account-access-consent.use-case.js';

const PSU = '00000000-0000-4000-8000-0000000000b1';
const OTHER_PSU = '00000000-0000-4000-8000-0000000000b2';

describe('ReauthenticateAccountAccessConsent', () => {
  let db: TestDatabase;
  let useCase: ReauthenticateAccountAccessConsent;
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
  const row = async (id: string) =>
    (await q(`SELECT status, grant_id, reauthenticated_at FROM account_access_consent WHERE consent_id = $1`, [id]))[0] as {
      status: string;
      grant_id: string | null;
      reauthenticated_at: Date | null;
    };

  beforeAll(async () => {
    db = await createTestDatabase('reauthenticate_consent');
    useCase = new ReauthenticateAccountAccessConsent(db.dataSource);
    await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-r', 'TPP R', '{AISP}', '{}'), ('tpp-other', 'TPP Other', '{AISP}', '{}')`);
    for (const [id, name] of [
      [PSU, 'r1'],
      [OTHER_PSU, 'r2'],
    ]) {
      await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, $2, $2, 'h', 't')`, [id, name]);
    }
    const consent = (id: string, status: string, psu: string | null, expires: string, grant: string | null) =>
      q(
        `INSERT INTO account_access_consent (consent_id, client_id, psu_id, status, permissions, expiration_date_time,
           creation_date_time, status_update_date_time, grant_id, authorised_at, jurisdiction)
         VALUES ($1, 'tpp-r', $2, $3, '{ReadAccountsBasic}', $4::timestamptz, now() - interval '100 days', now() - interval '100 days', $5,
                 CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() - interval '100 days' END, 'UK')`,
        [id, psu, status, expires, grant],
      );
    await consent('aac-due', 'AUTH', PSU, '2099-01-01T00:00:00Z', 'grant-old');
    await consent('aac-awau', 'AWAU', null, '2099-01-01T00:00:00Z', null);
    await consent('aac-canc', 'CANC', PSU, '2099-01-01T00:00:00Z', null);
    await consent('aac-expired', 'AUTH', PSU, '2020-01-01T00:00:00Z', 'grant-x');
    for (const [model, id, grant] of [
      ['Grant', 'grant-old', null],
      ['AccessToken', 'at-old', 'grant-old'],
      ['RefreshToken', 'rt-old', 'grant-old'],
    ]) {
      await q(`INSERT INTO oidc_model (model, id, payload, grant_id) VALUES ($1, $2, '{}', $3)`, [model, id, grant]);
    }
  });
  afterAll(async () => db?.drop());

  it('refuses another PSU, another TPP, a consent that is not AUTH, an expired one and one of a suspended TPP, changing nothing', async () => {
    const command = { consentId: 'aac-due', clientId: 'tpp-r', psuId: PSU, grantId: 'grant-new' };
    await expect(useCase.execute({ ...command, psuId: OTHER_PSU })).rejects.toMatchObject({ code: ConsentExceptionCode.NotFound });
    await expect(useCase.execute({ ...command, clientId: 'tpp-other' })).rejects.toMatchObject({ code: ConsentExceptionCode.NotFound });
    await expect(useCase.execute({ ...command, consentId: 'aac-awau' })).rejects.toMatchObject({ code: ConsentExceptionCode.NotFound });
    await expect(useCase.execute({ ...command, consentId: 'aac-canc' })).rejects.toMatchObject({ code: ConsentExceptionCode.InvalidStatus });
    await expect(useCase.execute({ ...command, consentId: 'aac-expired' })).rejects.toMatchObject({ code: ConsentExceptionCode.Expired });
    // Its own TPP suspended since the page opened: nothing is re-confirmed for it.
    await q(`UPDATE tpp SET status = 'Suspended' WHERE client_id = 'tpp-r'`);
    await expect(useCase.execute(command)).rejects.toMatchObject({ code: ConsentExceptionCode.TppNotActive });
    await q(`UPDATE tpp SET status = 'Active' WHERE client_id = 'tpp-r'`);
    expect(await row('aac-due')).toEqual({ status: 'AUTH', grant_id: 'grant-old', reauthenticated_at: null });
    expect(await q(`SELECT 1 FROM audit_outbox`)).toHaveLength(0);
  });

  it('restarts the period, binds the new grant, revokes the old one and records the event in the same transaction', async () => {
    const result = await useCase.execute({ consentId: 'aac-due', clientId: 'tpp-r', psuId: PSU, grantId: 'grant-new', interactionId: 'ix-1' });
    const stored = await row('aac-due');
    expect(stored.status).toBe('AUTH');
    expect(stored.grant_id).toBe('grant-new');
    expect(stored.reauthenticated_at).toEqual(result.reauthenticatedAt);
    expect(await q(`SELECT id FROM oidc_model WHERE grant_id = 'grant-old' OR id = 'grant-old'`)).toHaveLength(0);
    const events: Array<{ event: Record<string, unknown> }> = await q(`SELECT event FROM audit_outbox`);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({
        type: 'consent.reauthenticated',
        actor: { type: 'psu', id: PSU },
        clientId: 'tpp-r',
        psuId: PSU,
        consentId: 'aac-due',
        interactionId: 'ix-1',
        data: { jurisdiction: 'UK', previousAuthenticationAt: expect.any(String), accountIds: [], revokedGrantRecords: 3 },
      }),
    ]);
  });
});
