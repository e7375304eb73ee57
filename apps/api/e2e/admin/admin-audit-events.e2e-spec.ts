import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';
import { relayOutboxToLog } from '../support/audit-relay.js';

describe('admin API', () => {
  let h: ApiHarness;
  let consentId: string;

  beforeAll(async () => {
    h = await ApiHarness.start('admin');
    consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances']);
    const token = await h.consentToken(consentId);
    await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
    await h.tpp('GET', `${AISP}/balances`, { token });
    await relayOutboxToLog(h.dataSource);
  });
  afterAll(async () => h?.stop());

  it('refuses a PSU session token on the admin API, and an admin token on the customer API', async () => {
    const psuToken = await h.customerSession('alice');
    const onAdmin = await h.call('GET', '/admin/audit-events', { headers: { authorization: `Bearer ${psuToken}` } });
    expect(onAdmin.status).toBe(401);
    expect(onAdmin.body.error).toBe('unauthenticated');
    const adminToken = await h.adminSession();
    const onCustomer = await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${adminToken}` } });
    expect(onCustomer.status).toBe(401);
  });

  it('audits every search of the audit log with its filter (PCI DSS 10.2.1.3), and a refused one not at all', async () => {
    const token = await h.adminSession();
    const auth = { authorization: `Bearer ${token}` };
    const searched = async (): Promise<Array<{ actor: { type: string }; data: { channel: string; filter: Record<string, string>; results: number } }>> =>
      (await h.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'audit.searched' ORDER BY created_seq`)).map((row: { event: never }) => row.event);
    const before = (await searched()).length;
    const result = await h.call('GET', `/admin/audit-events?type=data.accessed&consentId=${consentId}&limit=5`, { headers: auth });
    expect(result.status).toBe(200);
    const events = await searched();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({
      actor: { type: 'admin' },
      data: { channel: 'api', filter: { type: 'data.accessed', consentId, limit: '5' }, results: result.body.events.length },
    });
    expect((await h.call('GET', '/admin/audit-events?limit=0', { headers: auth })).status).toBe(400);
    expect(await searched()).toHaveLength(before + 1);
  });

  it('ends an NDJSON export with the bank\'s signed trailer: npm run audit:verify-export takes the file alone, and refuses a copy cut short or changed', async () => {
    const auth = { authorization: `Bearer ${await h.adminSession()}` };
    // More than nine entries, so that the head (the largest seq) is not also the largest as text.
    // (Under a consent of their own: the other cases count this consent's reads.)
    const token = await h.consentToken(await h.authorisedConsent(['ReadAccountsBasic']));
    for (let read = 0; read < 10; read++) await h.tpp('GET', `${AISP}/accounts`, { token });
    await relayOutboxToLog(h.dataSource);
    const [{ head }]: Array<{ head: string }> = await h.dataSource.query(`SELECT max(seq)::text AS head FROM audit_log`);
    expect(Number(head)).toBeGreaterThanOrEqual(10);
    const exported = await fetch(`${h.api.url}/admin/audit-events/export?format=ndjson&consentId=${consentId}`, { headers: auth });
    expect(exported.status).toBe(200);
    const text = await exported.text();
    const lines = text.split('\n').filter(Boolean);
    // Until 7 December 2026 nothing in the file counted its entries or anchored them: a cut tail went unseen.
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'consentry.audit-search-export', rows: lines.length - 1, filter: { consentId }, throughSeq: head });
    const [{ matching }]: Array<{ matching: number }> = await h.dataSource.query(`SELECT count(*)::int AS matching FROM audit_log WHERE consent_id = $1 AND seq <= $2`, [consentId, head]);
    expect(lines.length - 1).toBe(matching);
    const dir = await mkdtemp(join(tmpdir(), 'audit-verify-export-'));
    const jwksFile = join(dir, 'message-signing-jwks.json');
    await writeFile(jwksFile, await (await fetch(`${h.api.url}/.well-known/message-signing-jwks.json`)).text());
    const script = fileURLToPath(new URL('../../../../scripts/audit-verify-export.js', import.meta.url));
    const verify = async (content: string): Promise<{ code: number; out: string }> => {
      const file = join(dir, `export-${Math.random().toString(36).slice(2)}.ndjson`);
      await writeFile(file, content);
      return promisify(execFile)(process.execPath, [script, file, '--jwks', jwksFile]).then(
        ({ stdout }) => ({ code: 0, out: stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
      );
    };
    const whole = await verify(text);
    expect(whole).toMatchObject({ code: 0, out: expect.stringContaining(`audit export intact: ${lines.length - 1} entries`) });
    const cut = await verify(lines.slice(0, -2).map((line) => `${line}\n`).join(''));
    expect(cut).toMatchObject({ code: 1, out: expect.stringContaining('audit export BROKEN') });
    const dropped = await verify([...lines.slice(1)].map((line) => `${line}\n`).join(''));
    expect(dropped).toMatchObject({ code: 1, out: expect.stringContaining('audit export BROKEN') });
  });

  it('lists audit events in seq order with a Next cursor', async () => {
    const token = await h.adminSession();
    const auth = { authorization: `Bearer ${token}` };
    const first = await h.call('GET', '/admin/audit-events?limit=2', { headers: auth });
    expect(first.status).toBe(200);
    expect(first.body.events).toHaveLength(2);
    expect(first.body.next).toBe(first.body.events[1].seq);
    const second = await h.call('GET', `/admin/audit-events?limit=2&after=${first.body.next}`, { headers: auth });
    expect(Number(second.body.events[0].seq)).toBe(Number(first.body.next) + 1);
  });

  it('filters by type and consent, and data.accessed events carry no account numbers', async () => {
    const token = await h.adminSession();
    const result = await h.call('GET', `/admin/audit-events?type=data.accessed&consentId=${consentId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(result.status).toBe(200);
    expect(result.body.events.map((e: JsonBody) => e.event.data.resource)).toEqual(['accounts', 'balances']);
    const [numbers] = await h.dataSource.query(`SELECT array_agg(identification) AS ids FROM account`);
    const text = JSON.stringify(result.body);
    for (const number of numbers.ids as string[]) expect(text).not.toContain(number);
  });

  it('refuses a limit above 500 and an unknown event type', async () => {
    const token = await h.adminSession();
    const auth = { authorization: `Bearer ${token}` };
    const tooMany = await h.call('GET', '/admin/audit-events?limit=501', { headers: auth });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe('invalid_request');
    const unknown = await h.call('GET', '/admin/audit-events?type=everything', { headers: auth });
    expect(unknown.status).toBe(400);
  });
});
