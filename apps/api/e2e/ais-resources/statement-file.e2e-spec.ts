import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

describe('GET /accounts/{AccountId}/statements/{StatementId}/file', () => {
  let h: ApiHarness;
  let alice: string[];

  beforeAll(async () => {
    h = await ApiHarness.start('statement-file');
    alice = h.psuAccounts('alice');
  });
  afterAll(async () => h?.stop());

  async function read(consentId: string, path: string, headers: Record<string, string> = {}) {
    return h.tpp('GET', path, { token: await h.consentToken(consentId), headers });
  }

  async function statementsOf(consentId: string, accountId: string): Promise<readonly JsonBody[]> {
    const list = await read(consentId, `${AISP}/accounts/${accountId}/statements`);
    expect(list.status).toBe(200);
    return list.body.Data.Statement;
  }

  it('serves the statement as a JSON document with its amounts under ReadStatementsDetail', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsDetail']);
    const [statement] = await statementsOf(consentId, alice[0]!);
    const interactionId = '0b7e4c52-3f1a-4d8e-9a6b-2c5d7e8f9a01';
    const file = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${statement.StatementId}/file`, { 'x-fapi-interaction-id': interactionId });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="statement-${statement.StatementId}.json"`);
    expect(file.headers.get('x-fapi-interaction-id')).toBe(interactionId);
    expectObSchema('File', file.body);
    expect(file.body).toEqual({ Statement: statement });
    expectObSchema('OBReadStatement2', { Data: { Statement: [file.body.Statement] }, Links: { Self: 'https://x.test/' }, Meta: {} });
    expect(file.body.Statement.StatementAmount.map((a: JsonBody) => a.Type)).toEqual([
      'UK.OBIE.PreviousClosingBalance',
      'UK.OBIE.ClosingBalance',
      'UK.OBIE.TotalCredits',
      'UK.OBIE.TotalDebits',
    ]);
    for (const amount of file.body.Statement.StatementAmount) expect(amount.Amount.Amount).toMatch(/^\d+\.\d{2,5}$/);

    const rows = await h.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'interactionId' = $1`, [interactionId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].event.type).toBe('data.accessed');
    expect(rows[0].event.data).toEqual({ resource: 'statements', accountIds: [alice[0]], count: 1 });
  });

  it('refuses the file under ReadStatementsBasic alone (403 U042)', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsBasic']);
    const [statement] = await statementsOf(consentId, alice[0]!);
    const refused = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${statement.StatementId}/file`);
    expect(refused.status).toBe(403);
    expectObSchema('OBErrorResponse1', refused.body);
    expect(refused.body.Errors).toEqual([{ ErrorCode: 'U042', Message: 'The consent does not grant ReadStatementsDetail' }]);
  });

  it('answers an unknown statement and another account’s statement alike (404 U011)', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsDetail']);
    const [foreign] = await statementsOf(consentId, alice[1]!);
    for (const id of ['no-such-statement', foreign.StatementId]) {
      const missing = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${id}/file`);
      expect(missing.status).toBe(404);
      expectObSchema('OBErrorResponse1', missing.body);
      expect(missing.body.Errors).toEqual([{ ErrorCode: 'U011', Message: 'No such statement for this account', Path: 'StatementId' }]);
    }
  });

  it('refuses a malformed StatementId or AccountId (400 U002)', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsDetail']);
    const [statement] = await statementsOf(consentId, alice[0]!);
    const badStatement = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${'x'.repeat(41)}/file`);
    expect(badStatement.status).toBe(400);
    expectObSchema('OBErrorResponse1', badStatement.body);
    expect(badStatement.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'StatementId is not a valid identifier', Path: 'StatementId' }]);
    const badAccount = await read(consentId, `${AISP}/accounts/bad%24id/statements/${statement.StatementId}/file`);
    expect(badAccount.status).toBe(400);
    expect(badAccount.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'AccountId is not a valid identifier', Path: 'AccountId' }]);
  });

  it('refuses an account outside the consent (403 U011)', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsDetail'], 'alice', [alice[0]!]);
    const [other] = await statementsOf(await h.authorisedConsent(['ReadStatementsDetail']), alice[1]!);
    const refused = await read(consentId, `${AISP}/accounts/${alice[1]}/statements/${other.StatementId}/file`);
    expect(refused.status).toBe(403);
    expectObSchema('OBErrorResponse1', refused.body);
    expect(refused.body.Errors).toEqual([{ ErrorCode: 'U011', Message: 'The account is not covered by the consent', Path: 'AccountId' }]);
  });
});
