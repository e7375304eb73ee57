import { BankStatement, HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import { ConnectorServer, serveBankConnector } from '@consentry/banking/test-support';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { findFreePort } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const UPSTREAM = 'upstream-http';
const UPSTREAM_TOKEN = 'upstream-shared-secret-0123456789';

/**
 * What a bank answers over the connector protocol is held to the question asked, not only to the
 * contract's shapes: asked for one statement, a bank that answers another of the account's (a filter it
 * ignored, a cache keyed wrongly) is not shown as the one asked for. Until 7 December 2026 the API
 * relayed it, 200, under the id the TPP asked for (a probe's find).
 */
describe('bank answers held to the question', () => {
  let h: ApiHarness;
  let upstream: ConnectorServer;
  let account: string;
  let statements: BankStatement[];

  beforeAll(async () => {
    const port = await findFreePort();
    const connector = new HttpBankConnector({ name: UPSTREAM, baseUrl: `http://127.0.0.1:${port}`, token: UPSTREAM_TOKEN, timeoutMs: 2000 });
    h = await ApiHarness.start('bank_answers_checked', {}, { connectors: [connector] });
    account = h.psuAccounts('alice')[0]!;
    await h.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('upstream-bank', 'Upstream Bank', $1)`, [UPSTREAM]);
    await h.dataSource.query(`UPDATE account SET aspsp_id = 'upstream-bank' WHERE account_id = $1`, [account]);
    const ledger = new SandboxLedgerConnector(h.dataSource, new EnvironmentKeyManagement(Buffer.alloc(32, 0x33)), UPSTREAM);
    statements = (await ledger.listStatements([account], {}, { direction: 'asc', limit: 10 })).items;
    expect(statements.length).toBeGreaterThanOrEqual(2);
    const [first, asked] = statements as [BankStatement, BankStatement];
    // The bank answers the account's first statement whatever statement is asked for.
    upstream = await serveBankConnector(ledger, {
      token: UPSTREAM_TOKEN,
      port,
      faulty: (operation, args) =>
        operation === 'listStatements' && (args[1] as { statementId?: string }).statementId === asked.statementId ? { kind: 'result', result: { items: [first], total: 1, position: 0 } } : null,
    });
  });
  afterAll(async () => {
    await upstream?.close();
    await h?.stop();
  });

  it('answers 404 for a statement the bank answered with another, on the statement and on its file', async () => {
    const [first, asked] = statements as [BankStatement, BankStatement];
    const token = await h.consentToken(await h.authorisedConsent(['ReadAccountsBasic', 'ReadStatementsDetail'], 'alice', [account]));
    const honest = await h.tpp('GET', `${AISP}/accounts/${account}/statements/${first.statementId}`, { token });
    expect(honest.status).toBe(200);
    expectObSchema('OBReadStatement2', honest.body);
    expect(jsonString(honest.body.Data.Statement[0].StatementId)).toBe(first.statementId);
    for (const path of [`${AISP}/accounts/${account}/statements/${asked.statementId}`, `${AISP}/accounts/${account}/statements/${asked.statementId}/file`]) {
      const answer = await h.tpp('GET', path, { token });
      expect({ path, status: answer.status, code: answer.body.Errors?.[0]?.ErrorCode }).toEqual({ path, status: 404, code: 'U011' });
    }
  });
});
