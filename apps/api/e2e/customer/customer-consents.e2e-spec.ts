import { currentTotpCode } from '@consentry/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

describe('customer API', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await ApiHarness.start('customer');
  });
  afterAll(async () => h?.stop());

  it('refuses a wrong TOTP code with 401 and a plain problem body', async () => {
    const alice = h.sandbox.psus.find((p) => p.username === 'alice')!;
    const code = await currentTotpCode(alice.totpSecret);
    const wrong = code === '000000' ? '111111' : '000000';
    const result = await h.call('POST', '/customer/sessions', { body: { username: 'alice', password: alice.password, otp: wrong } });
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ error: 'invalid_credentials', message: 'The username, password or code is not correct' });
    expect(result.headers.get('x-fapi-interaction-id')).toBeTruthy();
  });

  it('refuses a sign-in body with an unknown field as a problem, not an OB error', async () => {
    const result = await h.call('POST', '/customer/sessions', { body: { username: 'alice', password: 'x', otp: '123456', admin: true } });
    expect(result.status).toBe(400);
    expect(result.body.error).toBe('invalid_request');
    expect(result.body.message).toContain('admin');
  });

  it('issues an opaque session token kept only as a hash', async () => {
    const token = await h.customerSession('alice');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keys: string[] = [];
    let cursor = '0';
    const redis = (await import('ioredis')).Redis;
    const client = new redis(h.redis.url);
    try {
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${h.redis.prefix}:session:*`);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.includes(token))).toBe(false);
      const ttl = await client.ttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    } finally {
      client.disconnect();
    }
  });

  it('pages the PSU’s consents newest first by keyset: every consent once, and bad page parameters refused', async () => {
    // carol's own: 45 consents of which the oldest 44 made directly, a day apart.
    const newest = await h.authorisedConsent(['ReadAccountsBasic'], 'carol');
    await h.dataSource.query(
      `INSERT INTO account_access_consent (consent_id, client_id, psu_id, status, permissions, creation_date_time, status_update_date_time)
       SELECT 'aac-' || gen_random_uuid(), $1, (SELECT psu_id FROM psu WHERE username = 'carol'), 'RJCT', '{ReadAccountsBasic}', now() - n * interval '1 day', now() - n * interval '1 day'
         FROM generate_series(1, 44) n`,
      [h.clientId],
    );
    const expected: Array<{ consent_id: string }> = await h.dataSource.query(
      `SELECT consent_id FROM account_access_consent WHERE psu_id = (SELECT psu_id FROM psu WHERE username = 'carol') ORDER BY creation_date_time DESC, consent_id DESC`,
    );
    expect(expected).toHaveLength(45);
    expect(expected[0]!.consent_id).toBe(newest);
    const token = await h.customerSession('carol');
    const get = (query: string) => h.call('GET', `/customer/consents${query}`, { headers: { authorization: `Bearer ${token}` } });
    const pages: string[][] = [];
    let query = '';
    while (pages.length < 10) {
      const page = await get(query);
      expect(page.status).toBe(200);
      pages.push(page.body.consents.map((c: JsonBody) => jsonString(c.consentId)));
      if (page.body.next === null) break;
      query = `?cursor=${jsonString(page.body.next)}`;
    }
    // The default page is 20.
    expect(pages.map((ids) => ids.length)).toEqual([20, 20, 5]);
    expect(pages.flat()).toEqual(expected.map((row) => row.consent_id));
    const small = await get('?limit=7');
    expect(small.body.consents).toHaveLength(7);
    for (const bad of ['limit=0', 'limit=51', 'limit=x', 'cursor=not*valid', 'sort=asc']) {
      const refused = await get(`?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    const forged = await get(`?cursor=${Buffer.from(JSON.stringify(['soon', 'aac-x'])).toString('base64url')}`);
    expect(forged.status).toBe(400);
  });

  it('reads the Bearer scheme in any case and after one space or more (RFC 9110 §11.1, §11.4)', async () => {
    const token = await h.customerSession('alice');
    for (const scheme of ['bearer ', 'BEARER ', 'Bearer  ']) expect((await h.call('GET', '/customer/consents', { headers: { authorization: `${scheme}${token}` } })).status, scheme).toBe(200);
    expect((await h.call('GET', '/customer/consents', { headers: { authorization: `Basic ${token}` } })).status).toBe(401);
  });

  it('lists the PSU’s consents with TPP name, permissions and accounts', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic', 'ReadBalances'], 'alice');
    await h.authorisedConsent(['ReadAccountsBasic'], 'bob');
    const token = await h.customerSession('alice');
    const result = await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${token}` } });
    expect(result.status).toBe(200);
    const consent = result.body.consents.find((c: JsonBody) => String(c.consentId) === consentId);
    expect(consent).toMatchObject({
      tpp: { clientId: h.clientId, name: 'Sandbox Budgeting App' },
      status: 'AUTH',
      permissions: ['ReadAccountsBasic', 'ReadBalances'],
    });
    expect(consent?.accounts).toHaveLength(3);
    expect(result.body.consents.every((c: JsonBody) => c.accounts.every((a: JsonBody) => h.psuAccounts('alice').includes(jsonString(a.accountId))))).toBe(true);
  });

  it('revokes a consent and the TPP’s very next call is refused', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic'], 'alice');
    const tppToken = await h.consentToken(consentId);
    const before = await h.tpp('GET', `${AISP}/accounts`, { token: tppToken });
    expect(before.status).toBe(200);
    expectObSchema('OBReadAccount6', before.body);

    const session = await h.customerSession('alice');
    const revoked = await h.call('DELETE', `/customer/consents/${consentId}`, { headers: { authorization: `Bearer ${session}` } });
    expect(revoked.status).toBe(204);

    const after = await h.tpp('GET', `${AISP}/accounts`, { token: tppToken });
    expect(after.status).toBe(403);
    expect(after.body.Errors[0].ErrorCode).toBe('U009');
    const [row] = await h.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    expect(row.status).toBe('CANC');
  });

  it('tells the PSU a consent past its expiry has ended, not revoked, before the sweep has made it EXPD', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic'], 'alice');
    await h.dataSource.query(`UPDATE account_access_consent SET expiration_date_time = now() - interval '1 minute' WHERE consent_id = $1`, [consentId]);
    const session = await h.customerSession('alice');
    // Until 7 December 2026 it became CANC "Revoked by the PSU", audited as a revocation.
    const refused = await h.call('DELETE', `/customer/consents/${consentId}`, { headers: { authorization: `Bearer ${session}` } });
    expect(refused.status).toBe(409);
    const [row] = await h.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    expect(row.status).toBe('AUTH');
    expect(await h.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.revoked'`, [consentId])).toEqual([]);
  });

  it('answers 404 for another PSU’s consent and leaves it alone', async () => {
    const bobs = await h.authorisedConsent(['ReadAccountsBasic'], 'bob');
    const session = await h.customerSession('alice');
    const result = await h.call('DELETE', `/customer/consents/${bobs}`, { headers: { authorization: `Bearer ${session}` } });
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ error: 'not_found', message: 'No such consent' });
    const [row] = await h.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [bobs]);
    expect(row.status).toBe('AUTH');
  });

  it('refuses requests without a valid session', async () => {
    const none = await h.call('GET', '/customer/consents');
    const bogus = await h.call('GET', '/customer/consents', { headers: { authorization: 'Bearer not-a-session' } });
    for (const result of [none, bogus]) {
      expect(result.status).toBe(401);
      expect(result.body.error).toBe('unauthenticated');
      expect(result.headers.get('www-authenticate')).toBe('Bearer');
    }
  });
});
