import { AuditEvent } from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DeregisterTpp } from './deregister-tpp.use-case.js';
import { ReinstateTpp, SuspendTpp } from './tpp-admin.use-cases.js';
import { DeregisterTppCommand, TppStatusCommand } from './tpp.commands.js';
import { TPP_TRANSITIONS } from './tpp-lifecycle.js';
import { TppException, TppExceptionCode } from './tpp.exception.js';

const ADMIN = '00000000-0000-4000-8000-00000000ad01';

describe('TPP_TRANSITIONS', () => {
  it('lets an administrator suspend and reinstate, and a TPP deregister only while Active', () => {
    expect(TPP_TRANSITIONS).toEqual({
      suspend: { from: 'Active', to: 'Suspended', event: 'tpp.suspended' },
      reinstate: { from: 'Suspended', to: 'Active', event: 'tpp.reinstated' },
      deregister: { from: 'Active', to: 'Deregistered', event: 'tpp.deregistered' },
    });
  });
});

describe('TppStatusCommand', () => {
  it('bounds the reason at 500 code points, as the admin API does: 500 emoji pass, 501 do not', () => {
    const command = (reason: string) => new TppStatusCommand({ clientId: 'tpp-a', adminId: ADMIN, interactionId: 'ia-1', reason });
    expect(command('😀'.repeat(500)).reason).toBe('😀'.repeat(500));
    expect(() => command('😀'.repeat(501))).toThrow(/at most 500 characters/);
  });
});

describe('TPP lifecycle use cases', () => {
  let db: TestDatabase;
  const q = <T>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const statusOf = async (clientId: string) => (await q<{ status: string }>(`SELECT status FROM tpp WHERE client_id = $1`, [clientId]))[0]?.status;
  const eventsOf = async (clientId: string) =>
    (await q<{ event: AuditEvent }>(`SELECT event FROM audit_outbox WHERE event->>'clientId' = $1 ORDER BY created_seq`, [clientId])).map((row) => row.event);
  const admin = (clientId: string, reason?: string) => new TppStatusCommand({ clientId, adminId: ADMIN, interactionId: 'ia-1', ...(reason ? { reason } : {}) });
  const refusal = (code: TppExceptionCode) => expect.objectContaining({ name: 'TppException', code });

  beforeAll(async () => {
    db = await createTestDatabase('tpp_lifecycle');
    for (const id of ['tpp-a', 'tpp-kept', 'tpp-gone']) {
      await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, $1, '{AISP}', '{}')`, [id]);
    }
    await q(
      `INSERT INTO account_access_consent (consent_id, client_id, status, permissions, creation_date_time, status_update_date_time)
       VALUES ('aac-kept', 'tpp-kept', 'AWAU', '{ReadAccountsBasic}', now(), now())`,
    );
    await q(`INSERT INTO oidc_model (model, id, payload) VALUES ('AccessToken', 'at-kept', '{"clientId":"tpp-kept"}'), ('Client', 'c-other', '{"clientId":"tpp-a"}')`);
  });
  afterAll(async () => db?.drop());

  it('suspends an Active TPP and records who, why and the change', async () => {
    await expect(new SuspendTpp(db.dataSource).execute(admin('tpp-a', '  Licence withdrawn  '))).resolves.toMatchObject({ clientId: 'tpp-a', status: 'Suspended' });
    expect(await statusOf('tpp-a')).toBe('Suspended');
    expect(await eventsOf('tpp-a')).toEqual([
      expect.objectContaining({
        type: 'tpp.suspended',
        actor: { type: 'admin', id: ADMIN },
        clientId: 'tpp-a',
        interactionId: 'ia-1',
        data: { from: 'Active', to: 'Suspended', reason: 'Licence withdrawn' },
      }),
    ]);
  });

  it('refuses what the table does not allow, writing nothing', async () => {
    await expect(new SuspendTpp(db.dataSource).execute(admin('tpp-a', 'again'))).rejects.toEqual(refusal(TppExceptionCode.InvalidStatus));
    await expect(new DeregisterTpp(db.dataSource).execute(new DeregisterTppCommand({ clientId: 'tpp-a', interactionId: 'ia-2' }))).rejects.toThrow(
      'The TPP is Suspended; it must be Active to become Deregistered',
    );
    await expect(new ReinstateTpp(db.dataSource).execute(admin('nobody'))).rejects.toEqual(refusal(TppExceptionCode.NotFound));
    expect(() => admin('has space')).toThrow(TppException);
    expect(await eventsOf('tpp-a')).toHaveLength(1);
  });

  it('reinstates a Suspended TPP', async () => {
    await expect(new ReinstateTpp(db.dataSource).execute(admin('tpp-a'))).resolves.toMatchObject({ status: 'Active' });
    expect((await eventsOf('tpp-a'))[1]).toMatchObject({ type: 'tpp.reinstated', data: { from: 'Suspended', to: 'Active', reason: null } });
  });

  it('deregisters a TPP that holds consents: row kept as Deregistered, tokens revoked, both audited', async () => {
    await expect(new DeregisterTpp(db.dataSource).execute(new DeregisterTppCommand({ clientId: 'tpp-kept', interactionId: 'ia-3' }))).resolves.toEqual({
      keptForConsents: true,
      revokedCount: 1,
    });
    expect(await statusOf('tpp-kept')).toBe('Deregistered');
    expect(await q(`SELECT id FROM oidc_model WHERE payload->>'clientId' = 'tpp-kept'`)).toEqual([]);
    expect(await eventsOf('tpp-kept')).toEqual([
      expect.objectContaining({
        type: 'tpp.deregistered',
        actor: { type: 'tpp', id: 'tpp-kept' },
        data: { from: 'Active', to: 'Deregistered', action: 'deregistered', keptForConsents: true },
      }),
      expect.objectContaining({ type: 'token.revoked', data: { trigger: 'deregistered', revokedCount: 1 } }),
    ]);
    await expect(new ReinstateTpp(db.dataSource).execute(admin('tpp-kept'))).rejects.toEqual(refusal(TppExceptionCode.InvalidStatus));
  });

  it('deletes the row of a deregistered TPP nothing refers to', async () => {
    await expect(new DeregisterTpp(db.dataSource).execute(new DeregisterTppCommand({ clientId: 'tpp-gone', interactionId: 'ia-4' }))).resolves.toEqual({
      keptForConsents: false,
      revokedCount: 0,
    });
    expect(await statusOf('tpp-gone')).toBeUndefined();
    expect((await eventsOf('tpp-gone')).map((event) => [event.type, event.data])).toEqual([
      ['tpp.deregistered', { from: 'Active', to: 'Deregistered', action: 'deregistered', keptForConsents: false }],
      ['token.revoked', { trigger: 'deregistered', revokedCount: 0 }],
    ]);
  });
});
