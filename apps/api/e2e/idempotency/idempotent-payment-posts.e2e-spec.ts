import { purgeExpiredIdempotencyKeys } from '@consentry/database';
import { createSandboxTppKeys, registerTpp, SandboxTppCredentials } from '@consentry/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult } from '../support/api-harness.js';
import { PaymentWriteProbeModule, PROBE_PATH, PROBE_TABLE_DDL } from '../support/payment-write-probe.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

interface Caller {
  clientId: string;
  signer: TppMessageSigner;
}

describe('idempotent payment POSTs (x-idempotency-key) on real PostgreSQL', () => {
  let h: ApiHarness;
  let sandboxTpp: Caller;
  let otherTpp: Caller;
  let otherCredentials: SandboxTppCredentials;

  beforeAll(async () => {
    h = await ApiHarness.start('idempotency', {}, { modules: [PaymentWriteProbeModule] });
    await h.dataSource.query(PROBE_TABLE_DDL);
    otherCredentials = await createSandboxTppKeys('other-pisp', 'Other PISP', 'https://other-pisp.localhost/callback');
    await h.dataSource.transaction((manager) => registerTpp(manager, otherCredentials));
    sandboxTpp = { clientId: h.clientId, signer: await TppMessageSigner.of(h.sandbox.tpp) };
    otherTpp = { clientId: otherCredentials.client_id, signer: await TppMessageSigner.of(otherCredentials) };
  });
  afterAll(async () => h?.stop());

  const probes = async () => ((await h.dataSource.query(`SELECT count(*)::int AS n FROM signing_probe`)) as Array<{ n: number }>)[0]!.n;

  async function post(key: string, body: string, options: { caller?: Caller; path?: string } = {}): Promise<CallResult> {
    const caller = options.caller ?? sandboxTpp;
    const token = await h.issuer.mintAccessToken({ clientId: caller.clientId, audience: h.api.publicUrl, jkt: h.dpop.jkt });
    return h.tpp('POST', options.path ?? PROBE_PATH, {
      token,
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-idempotency-key': key, 'x-jws-signature': await caller.signer.sign(body) },
    });
  }

  it('answers a repeated key and body with the first status and body, and creates nothing more', async () => {
    const before = await probes();
    const first = await post('repeat-1', '{"Amount":"20.00"}');
    expect(first.status).toBe(201);
    const second = await post('repeat-1', '{"Amount":"20.00"}');
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('x-jws-signature')).toBeTruthy();
    expect(await probes()).toBe(before + 1);
  });

  it('refuses the same key with another body: 409 U029, nothing written', async () => {
    await post('reuse-1', '{"Amount":"21.00"}');
    const before = await probes();
    const reused = await post('reuse-1', '{"Amount":"21.01"}');
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ Code: '409 Conflict', Errors: [{ ErrorCode: 'U029', Path: 'x-idempotency-key' }] });
    // The same JSON with other bytes is another body: the key binds the bytes that were signed.
    expect((await post('reuse-1', '{"Amount": "21.00"}')).status).toBe(409);
    expect(await probes()).toBe(before);
  });

  it('validates the body before it looks at the key', async () => {
    await post('validate-1', '{"Amount":"22.00"}');
    const invalid = await post('validate-1', '{"Amount":"twenty-two"}');
    expect(invalid.status).toBe(400);
    expect(invalid.body.Errors[0]).toMatchObject({ ErrorCode: 'U002', Path: 'Amount' });
  });

  it('scopes keys per client and per path', async () => {
    const before = await probes();
    const mine = await post('scoped-1', '{"Amount":"23.00"}');
    const theirs = await post('scoped-1', '{"Amount":"23.50"}', { caller: otherTpp });
    const elsewhere = await post('scoped-1', '{"Amount":"23.75"}', { path: `${PROBE_PATH}/alternate` });
    expect([mine.status, theirs.status, elsewhere.status]).toEqual([201, 201, 201]);
    expect(new Set([mine.body.Data.ProbeId, theirs.body.Data.ProbeId, elsewhere.body.Data.ProbeId]).size).toBe(3);
    expect(await probes()).toBe(before + 3);
    // The path as the router serves it: an escaped spelling is the same path, and the same key.
    const escaped = await post('scoped-1', '{"Amount":"23.00"}', { path: PROBE_PATH.replace('/pisp/', '/%70isp/') });
    expect(escaped.body).toEqual(mine.body);
    expect(await probes()).toBe(before + 3);
  });

  it('forgets a key after 24 hours', async () => {
    const first = await post('aged-1', '{"Amount":"24.00"}');
    await h.dataSource.query(`UPDATE idempotency_key SET created_at = now() - interval '24 hours 1 second' WHERE key = 'aged-1'`);
    const later = await post('aged-1', '{"Amount":"24.50"}');
    expect(later.status).toBe(201);
    expect(later.body.Data.ProbeId).not.toBe(first.body.Data.ProbeId);
    expect((await post('aged-1', '{"Amount":"24.00"}')).status).toBe(409);
  });

  it('purges keys past their 24 hours and keeps the live ones', async () => {
    await post('purge-old', '{"Amount":"24.60"}');
    await post('purge-live', '{"Amount":"24.70"}');
    await h.dataSource.query(`UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE key = 'purge-old'`);
    expect(await purgeExpiredIdempotencyKeys(h.dataSource, 1)).toBeGreaterThanOrEqual(1);
    const keys = (await h.dataSource.query(`SELECT key FROM idempotency_key WHERE key LIKE 'purge-%'`)) as Array<{ key: string }>;
    expect(keys.map((k) => k.key)).toEqual(['purge-live']);
  });

  it('keeps no key for a request refused after its write: the write and the key roll back together', async () => {
    const before = await probes();
    const refused = await post('refused-1', '{"Amount":"0.00"}');
    expect(refused.status).toBe(400);
    expect(await probes()).toBe(before);
    expect(await h.dataSource.query(`SELECT 1 FROM idempotency_key WHERE key = 'refused-1'`)).toEqual([]);
    expect((await post('refused-1', '{"Amount":"25.00"}')).status).toBe(201);
  });

  it('creates one resource when identical requests arrive at the same instant, and answers them all alike', async () => {
    const before = await probes();
    const results = await Promise.all(Array.from({ length: 12 }, () => post('burst-1', '{"Amount":"26.00"}')));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(await probes()).toBe(before + 1);
  });

  it('lets exactly one of concurrent requests with one key and different bodies through; the rest get 409', async () => {
    const before = await probes();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => post('burst-2', `{"Amount":"27.0${i}"}`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(7).fill(409)]);
    expect(await probes()).toBe(before + 1);
    const [row] = await h.dataSource.query(`SELECT response_status FROM idempotency_key WHERE key = 'burst-2'`);
    expect(row.response_status).toBe(201);
  });
});
