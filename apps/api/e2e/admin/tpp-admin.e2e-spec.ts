import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectObSchema } from '@consentry/testing';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';

describe('admin API: TPPs (list, suspend, reinstate)', () => {
  let h: ApiHarness;
  let consentId: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await ApiHarness.start('tpp_admin');
    consentId = await h.authorisedConsent(['ReadAccountsDetail']);
    auth = { authorization: `Bearer ${await h.adminSession()}` };
    await h.dataSource.query(
      `INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES ('gone-tpp', 'Gone Ltd', '{PISP}', 'Deregistered', '{}')`,
    );
  });
  afterAll(async () => h?.stop());

  async function auditEvents(type: string, clientId: string): Promise<JsonBody[]> {
    const rows: Array<{ event: JsonBody }> = await h.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = $1 AND event->>'clientId' = $2 ORDER BY created_seq`,
      [type, clientId],
    );
    return rows.map((row) => row.event);
  }

  async function accountsCall() {
    return h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
  }

  it('refuses every TPP route without an admin session, and with a PSU session', async () => {
    for (const [method, path] of [['GET', '/admin/tpps'], ['POST', `/admin/tpps/${h.clientId}/suspend`], ['POST', `/admin/tpps/${h.clientId}/reinstate`]] as const) {
      const anonymous = await h.call(method, path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error).toBe('unauthenticated');
    }
    const psu = await h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: { authorization: `Bearer ${await h.customerSession('alice')}` } });
    expect(psu.status).toBe(401);
    expect(psu.body.error).toBe('unauthenticated');
    const [row] = await h.dataSource.query(`SELECT status FROM tpp WHERE client_id = $1`, [h.clientId]);
    expect(row.status).toBe('Active');
  });

  it('lists TPPs with their name, roles and status, and filters by status', async () => {
    const all = await h.call('GET', '/admin/tpps', { headers: auth });
    expect(all.status).toBe(200);
    expect(all.body.tpps).toEqual([
      { clientId: 'gone-tpp', name: 'Gone Ltd', roles: ['PISP'], status: 'Deregistered', createdAt: expect.any(String) },
      expect.objectContaining({ clientId: h.clientId, roles: expect.arrayContaining(['AISP']), status: 'Active' }),
    ]);
    const deregistered = await h.call('GET', '/admin/tpps?status=Deregistered', { headers: auth });
    expect(deregistered.body.tpps.map((t: JsonBody) => t.clientId)).toEqual(['gone-tpp']);
    const unknown = await h.call('GET', '/admin/tpps?status=Paused', { headers: auth });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_request');
  });

  it('pages the TPPs by name with a keyset cursor, every TPP once, and refuses a cursor it did not issue', async () => {
    await h.dataSource.query(
      `INSERT INTO tpp (client_id, name, roles, status, client_metadata)
       SELECT 'paged-tpp-' || n, 'Paged ' || lpad(n::text, 2, '0') || ' Ltd', '{AISP}', 'Active', '{}'::jsonb FROM generate_series(1, 12) n`,
    );
    try {
      const expected: Array<{ client_id: string }> = await h.dataSource.query(`SELECT client_id FROM tpp ORDER BY name, client_id`);
      const pages: string[][] = [];
      let query = '?limit=5';
      while (pages.length < 10) {
        const page = await h.call('GET', `/admin/tpps${query}`, { headers: auth });
        expect(page.status).toBe(200);
        pages.push(page.body.tpps.map((t: JsonBody) => jsonString(t.clientId)));
        if (page.body.next === null) break;
        query = `?limit=5&cursor=${jsonString(page.body.next)}`;
      }
      expect(pages.flat()).toEqual(expected.map((row) => row.client_id));
      expect(pages.slice(0, -1).every((ids) => ids.length === 5)).toBe(true);
      // With a filter, the cursor continues within it.
      const active = await h.call('GET', '/admin/tpps?status=Active&limit=3', { headers: auth });
      const rest = await h.call('GET', `/admin/tpps?status=Active&cursor=${jsonString(active.body.next)}`, { headers: auth });
      expect([...active.body.tpps, ...rest.body.tpps].every((t: JsonBody) => jsonString(t.status) === 'Active')).toBe(true);
      const [{ n: activeCount }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM tpp WHERE status = 'Active'`);
      expect(active.body.tpps.length + rest.body.tpps.length).toBe(activeCount);
      const cursorOf = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
      // Not a pair of strings; a client id with a space; a name longer than any cursor this API issues; a
      // name with a NUL, which PostgreSQL's text cannot hold (until 7 December 2026 a 500).
      const forged = [cursorOf([1, 2]), cursorOf(['Paged 01 Ltd', 'paged tpp']), cursorOf(['x'.repeat(301), 'paged-tpp-1']), cursorOf(['Paged\u0000', 'paged-tpp-1'])];
      for (const bad of ['limit=0', 'limit=201', 'cursor=not*valid', ...forged.map((cursor) => `cursor=${cursor}`)]) {
        const refused = await h.call('GET', `/admin/tpps?${bad}`, { headers: auth });
        expect(refused.status, bad).toBe(400);
        expect(refused.body.error).toBe('invalid_request');
      }
    } finally {
      await h.dataSource.query(`DELETE FROM tpp WHERE client_id LIKE 'paged-tpp-%'`);
    }
  });

  it('pages past TPPs whose names a cursor once could not carry: a control character (registered before it was refused), 200 CJK characters', async () => {
    // Until 8 December 2026 the API refused the cursor it issued for such a TPP's page, and every TPP
    // listed after it could not be reached (a probe's find).
    await h.dataSource.query(
      `INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES
         ('odd-tpp-tab', 'Odd' || chr(9) || 'Tab Ltd', '{AISP}', 'Active', '{}'), ('odd-tpp-cjk', 'Odd ' || repeat('銀', 196), '{AISP}', 'Active', '{}'),
         ('odd-tpp-z', 'Odd Z Ltd', '{AISP}', 'Active', '{}')`,
    );
    try {
      const expected: Array<{ client_id: string }> = await h.dataSource.query(`SELECT client_id FROM tpp ORDER BY name, client_id`);
      const seen: string[] = [];
      let query = '?limit=1';
      for (let i = 0; i < expected.length + 1; i++) {
        const page = await h.call('GET', `/admin/tpps${query}`, { headers: auth });
        expect(page.status, query).toBe(200);
        seen.push(...page.body.tpps.map((t: JsonBody) => jsonString(t.clientId)));
        if (page.body.next === null) break;
        query = `?limit=1&cursor=${jsonString(page.body.next)}`;
      }
      expect(seen).toEqual(expected.map((row) => row.client_id));
    } finally {
      await h.dataSource.query(`DELETE FROM tpp WHERE client_id LIKE 'odd-tpp-%'`);
    }
  });

  it('suspends an Active TPP: its tokens stop working at the API on the next call, and the act is audited', async () => {
    expect((await accountsCall()).status).toBe(200);
    const result = await h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: auth, body: { reason: 'Licence withdrawn by the NCA' } });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ clientId: h.clientId, status: 'Suspended' });

    const refused = await accountsCall();
    expect(refused.status).toBe(401);
    expectObSchema('OBErrorResponse1', refused.body);
    expect(refused.body.Errors[0]).toMatchObject({ ErrorCode: 'U006', Path: 'Authorization' });

    const [event] = await auditEvents('tpp.suspended', h.clientId);
    expect(event).toMatchObject({
      type: 'tpp.suspended',
      actor: { type: 'admin', id: expect.any(String) },
      clientId: h.clientId,
      interactionId: expect.any(String),
      data: { from: 'Active', to: 'Suspended', reason: 'Licence withdrawn by the NCA' },
    });
  });

  it('refuses to suspend a TPP twice', async () => {
    const again = await h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: auth, body: { reason: 'again' } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'invalid_status', message: 'The TPP is Suspended; it must be Active to become Suspended' });
    expect(await auditEvents('tpp.suspended', h.clientId)).toHaveLength(1);
  });

  it('reinstates a Suspended TPP: its tokens work again, and the act is audited', async () => {
    const result = await h.call('POST', `/admin/tpps/${h.clientId}/reinstate`, { headers: auth, body: {} });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ clientId: h.clientId, status: 'Active' });
    expect((await accountsCall()).status).toBe(200);
    const [event] = await auditEvents('tpp.reinstated', h.clientId);
    expect(event).toMatchObject({ actor: { type: 'admin' }, data: { from: 'Suspended', to: 'Active', reason: null } });
  });

  it('refuses to reinstate an Active TPP or a Deregistered one', async () => {
    const active = await h.call('POST', `/admin/tpps/${h.clientId}/reinstate`, { headers: auth, body: {} });
    expect(active.status).toBe(409);
    expect(active.body.error).toBe('invalid_status');
    const gone = await h.call('POST', '/admin/tpps/gone-tpp/reinstate', { headers: auth, body: {} });
    expect(gone.status).toBe(409);
    expect(gone.body).toEqual({ error: 'invalid_status', message: 'The TPP is Deregistered; it must be Suspended to become Active' });
    const suspendGone = await h.call('POST', '/admin/tpps/gone-tpp/suspend', { headers: auth, body: { reason: 'x' } });
    expect(suspendGone.status).toBe(409);
    expect(await auditEvents('tpp.reinstated', 'gone-tpp')).toEqual([]);
  });

  it('answers 404 for an unknown TPP, and 400 for a suspension without a reason or with an unknown field', async () => {
    const unknown = await h.call('POST', '/admin/tpps/nobody/suspend', { headers: auth, body: { reason: 'x' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: 'No such TPP' });
    const extra = await h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: auth, body: { reason: 'x', status: 'Active' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toBe('invalid_request');
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(501) }]) {
      const refused = await h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: auth, body });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    const [row] = await h.dataSource.query(`SELECT status FROM tpp WHERE client_id = $1`, [h.clientId]);
    expect(row.status).toBe('Active');
  });

  it('lets only one of two concurrent suspensions succeed', async () => {
    const results = await Promise.all([0, 1].map(() => h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: auth, body: { reason: 'race' } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await auditEvents('tpp.suspended', h.clientId)).toHaveLength(2);
    expect((await h.call('POST', `/admin/tpps/${h.clientId}/reinstate`, { headers: auth, body: {} })).status).toBe(200);
  });
});
