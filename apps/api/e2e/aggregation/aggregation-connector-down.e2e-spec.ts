import { HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import { ConnectorServer, serveBankConnector } from '@consentry/banking/test-support';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { findFreePort } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const UPSTREAM = 'upstream-http';
const UPSTREAM_TOKEN = 'upstream-shared-secret-0123456789';

describe('aggregation across connectors, with one bank down', () => {
  let h: ApiHarness;
  let upstream: ConnectorServer | null = null;
  let port: number;
  let alice: string[];
  let upstreamAccount: string;

  async function startUpstream(): Promise<void> {
    // The upstream bank: its own ledger behind the connector protocol, reached over real HTTP.
    const ledger = new SandboxLedgerConnector(h.dataSource, new EnvironmentKeyManagement(Buffer.alloc(32, 0x33)), UPSTREAM);
    upstream = await serveBankConnector(ledger, { token: UPSTREAM_TOKEN, port });
  }

  async function stopUpstream(): Promise<void> {
    await upstream?.close();
    upstream = null;
  }

  beforeAll(async () => {
    port = await findFreePort();
    const connector = new HttpBankConnector({ name: UPSTREAM, baseUrl: `http://127.0.0.1:${port}`, token: UPSTREAM_TOKEN, timeoutMs: 2000 });
    h = await ApiHarness.start('aggregation', { API_PAGE_SIZE: '10' }, { connectors: [connector] });
    alice = h.psuAccounts('alice');
    upstreamAccount = alice[2]!;
    await h.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('upstream-bank', 'Upstream Bank', $1)`, [UPSTREAM]);
    await h.dataSource.query(`UPDATE account SET aspsp_id = 'upstream-bank' WHERE account_id = $1`, [upstreamAccount]);
    await startUpstream();
  });
  afterAll(async () => {
    await stopUpstream();
    await h?.stop();
  });

  it('serves the upstream bank’s accounts, balances and transactions through the HTTP connector', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances', 'ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits']);
    const token = await h.consentToken(consentId);
    const accounts = await h.tpp('GET', `${AISP}/accounts`, { token });
    expect(accounts.status).toBe(200);
    expectObSchema('OBReadAccount6', accounts.body);
    expect(accounts.body.Data.Account.map((a: JsonBody) => a.AccountId).sort()).toEqual([...alice].sort());
    expect(accounts.headers.get('x-consentry-unavailable-accounts')).toBeNull();
    const balances = await h.tpp('GET', `${AISP}/accounts/${upstreamAccount}/balances`, { token });
    expectObSchema('OBReadBalance1', balances.body);
    expect(balances.body.Data.Balance).toHaveLength(2);
    // Keyset cursors travel through the connector protocol too.
    let path: string | null = `${AISP}/accounts/${upstreamAccount}/transactions`;
    const seen = new Set<string>();
    while (path) {
      const page = await h.tpp('GET', path, { token });
      expect(page.status).toBe(200);
      expectObSchema('OBReadTransaction6', page.body);
      for (const t of page.body.Data.Transaction) seen.add(jsonString(t.TransactionId));
      path = page.body.Links.Next ? jsonString(page.body.Links.Next).slice(h.api.publicUrl.length) : null;
    }
    expect(seen.size).toBe(30);
  });

  it('answers the down bank’s accounts with the spec’s 500 U000 and serves the rest of a bulk call', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic', 'ReadBalances', 'ReadBeneficiariesBasic', 'ReadTransactionsBasic', 'ReadTransactionsDebits']);
    const token = await h.consentToken(consentId);
    await stopUpstream();
    try {
      const bulk = await h.tpp('GET', `${AISP}/accounts`, { token });
      expect(bulk.status).toBe(200);
      expectObSchema('OBReadAccount6', bulk.body);
      expect(bulk.body.Data.Account.map((a: JsonBody) => a.AccountId).sort()).toEqual(alice.filter((id) => id !== upstreamAccount).sort());
      expect(bulk.headers.get('x-consentry-unavailable-accounts')).toBe(upstreamAccount);

      const balances = await h.tpp('GET', `${AISP}/balances`, { token });
      expect(balances.status).toBe(200);
      expectObSchema('OBReadBalance1', balances.body);
      expect(balances.body.Data.Balance).toHaveLength(4);
      expect(balances.headers.get('x-consentry-unavailable-accounts')).toBe(upstreamAccount);

      const transactions = await h.tpp('GET', `${AISP}/transactions`, { token });
      expect(transactions.status).toBe(200);
      expectObSchema('OBReadTransaction6', transactions.body);
      expect(transactions.headers.get('x-consentry-unavailable-accounts')).toBe(upstreamAccount);

      for (const path of [`accounts/${upstreamAccount}`, `accounts/${upstreamAccount}/balances`, `accounts/${upstreamAccount}/transactions`, `accounts/${upstreamAccount}/beneficiaries`]) {
        const one = await h.tpp('GET', `${AISP}/${path}`, { token });
        expect(one.status).toBe(500);
        expectObSchema('OBErrorResponse1', one.body);
        expect(one.body.Errors).toEqual([{ ErrorCode: 'U000', Message: 'The bank holding the account cannot be reached; try again later', Path: 'AccountId' }]);
      }
      // The other banks' single-account calls are unaffected.
      expect((await h.tpp('GET', `${AISP}/accounts/${alice[0]}/balances`, { token })).status).toBe(200);
    } finally {
      await startUpstream();
    }
    const recovered = await h.tpp('GET', `${AISP}/accounts`, { token });
    expect(recovered.body.Data.Account).toHaveLength(3);
  });

  it('answers 500 U000 when every bank of a bulk call is down', async () => {
    const consentId = await h.authorisedConsent(['ReadBalances'], 'alice', [upstreamAccount]);
    const token = await h.consentToken(consentId);
    await stopUpstream();
    try {
      const result = await h.tpp('GET', `${AISP}/balances`, { token });
      expect(result.status).toBe(500);
      expect(result.body.Errors[0].ErrorCode).toBe('U000');
    } finally {
      await startUpstream();
    }
  });
});
