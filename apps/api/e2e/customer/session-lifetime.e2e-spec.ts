import { createHash } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness } from '../support/api-harness.js';

/**
 * A session ends at its absolute lifetime however active it is, and at the next request once its PSU
 * or admin is locked or removed (the subject is re-read on every use).
 */
describe('customer and admin sessions: absolute lifetime and the subject re-read', () => {
  let h: ApiHarness;
  let redis: Redis;

  beforeAll(async () => {
    h = await ApiHarness.start('session_lifetime', { SESSION_ABSOLUTE_SECONDS: '600' });
    redis = new Redis(h.redis.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await h?.stop();
  });

  const consents = (token: string) => h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${token}` } });

  it('ends a session past SESSION_ABSOLUTE_SECONDS even while it is in use', async () => {
    const token = await h.customerSession('bob');
    expect((await consents(token)).status).toBe(200);
    // Age the stored session past its absolute lifetime (the idle timeout was renewed by the call above).
    const key = `${h.config.redisPrefix}:session:customer:${createHash('sha256').update(token).digest('hex')}`;
    const stored = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
    expect(typeof stored.issuedAt).toBe('number');
    await redis.set(key, JSON.stringify({ ...stored, issuedAt: Date.now() - 601_000 }), 'KEEPTTL');
    const refused = await consents(token);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('unauthenticated');
    expect(await redis.exists(key)).toBe(0);
  });

  it('ends a PSU session at the next request once the PSU is locked', async () => {
    const token = await h.customerSession('alice');
    expect((await consents(token)).status).toBe(200);
    await h.dataSource.query(`UPDATE psu SET locked_until = now() + interval '1 hour' WHERE username = 'alice'`);
    expect((await consents(token)).status).toBe(401);
  });

  it('ends an admin session at the next request once the admin is removed', async () => {
    const token = await h.adminSession();
    const audit = () => h.call('GET', '/admin/audit-events?limit=1', { headers: { authorization: `Bearer ${token}` } });
    expect((await audit()).status).toBe(200);
    await h.dataSource.query(`DELETE FROM admin_user WHERE username = $1`, [h.sandbox.admin.username]);
    expect((await audit()).status).toBe(401);
  });
});
