import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { HeaderLine, RawAnswer, rawRequest } from '../support/raw-request.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

const CONSENTS = '/open-banking/v4.0/pisp/domestic-payment-consents';
const AUTH_DATE = 'Sun, 10 Sep 2017 19:43:31 GMT';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Node joins the lines of a repeated custom header with ", " and keeps only the first of a repeated
// Authorization: request.headers alone cannot tell a header sent twice. Each of these must be sent once.
describe('headers sent more than once on a payment POST (raw node:http, one line each)', () => {
  let h: ApiHarness;
  let signer: TppMessageSigner;
  let token: string;
  let reference = 0;

  beforeAll(async () => {
    h = await ApiHarness.start('repeated_headers');
    signer = await TppMessageSigner.of(h.sandbox.tpp);
    token = await h.clientCredentialsToken({ scope: 'payments' });
  });
  afterAll(async () => h?.stop());

  function consentBody(): string {
    reference += 1;
    const Initiation = {
      InstructionIdentification: `INSTR-REPEAT-${reference}`,
      EndToEndIdentification: `REPEAT-${reference}`,
      InstructedAmount: { Amount: '1.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411290112', Name: 'Payee' },
    };
    return JSON.stringify({ Data: { Initiation }, Risk: {} });
  }

  /**
   * A well-formed signed, idempotent consent POST whose header lines are `edit(lines)`: the edit may add a
   * second line for a header, or drop one.
   */
  async function post(edit: (lines: HeaderLine[]) => HeaderLine[] = (lines) => lines, body = consentBody()): Promise<RawAnswer> {
    const lines: HeaderLine[] = [
      ['authorization', `DPoP ${token}`],
      ['dpop', await h.dpop.proof('POST', `${h.api.publicUrl}${CONSENTS}`, token)],
      ['content-type', 'application/json'],
      ['x-idempotency-key', randomUUID()],
      ['x-jws-signature', await signer.sign(body)],
    ];
    return rawRequest(h.api.url, 'POST', CONSENTS, edit(lines), body);
  }

  /** `lines` with every line named `name` replaced by these ones, in their place. */
  const withLines =
    (name: string, ...replacement: HeaderLine[]) =>
    (lines: HeaderLine[]): HeaderLine[] => {
      const at = lines.findIndex(([line]) => line === name);
      const kept = lines.filter(([line]) => line !== name);
      kept.splice(at === -1 ? kept.length : at, 0, ...replacement);
      return kept;
    };

  function expectRefused(result: RawAnswer, status: number, errors: unknown[]): void {
    expect(result.status, result.text).toBe(status);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors).toEqual(errors);
  }

  const countConsents = async (): Promise<number> =>
    ((await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`)) as Array<{ n: number }>)[0]!.n;

  it('accepts the request with each header once (the baseline every case below changes one line of)', async () => {
    const result = await post();
    expect(result.status, result.text).toBe(201);
  });

  describe('x-idempotency-key', () => {
    it('refuses two lines with 400 U006, and neither creates a consent nor stores the joined key', async () => {
      const before = await countConsents();
      const result = await post(withLines('x-idempotency-key', ['x-idempotency-key', 'key-one'], ['x-idempotency-key', 'key-two']));
      expectRefused(result, 400, [
        { ErrorCode: 'U006', Message: 'The x-idempotency-key header must be sent once, with 1 to 40 characters and no blank at either end', Path: 'x-idempotency-key' },
      ]);
      expect(await countConsents()).toBe(before);
      const stored = (await h.dataSource.query(`SELECT count(*)::int AS n FROM idempotency_key WHERE key LIKE 'key-%'`)) as Array<{ n: number }>;
      expect(stored[0]!.n).toBe(0);
    });

    it('refuses the same key sent twice, whatever the case of the header names', async () => {
      const result = await post(withLines('x-idempotency-key', ['x-idempotency-key', 'key-three'], ['X-Idempotency-Key', 'key-three']));
      expectRefused(result, 400, [expect.objectContaining({ ErrorCode: 'U006', Path: 'x-idempotency-key' })]);
    });
  });

  it('refuses two x-jws-signature lines with 400 U018, saying why', async () => {
    const body = consentBody();
    const signature = await signer.sign(body);
    const result = await post(withLines('x-jws-signature', ['x-jws-signature', signature], ['X-JWS-Signature', signature]), body);
    expectRefused(result, 400, [{ ErrorCode: 'U018', Message: 'The x-jws-signature header must be sent once', Path: 'x-jws-signature' }]);
  });

  it('refuses two Authorization lines with 401 U006 (Node would keep the first and drop the second)', async () => {
    const result = await post(withLines('authorization', ['authorization', `DPoP ${token}`], ['Authorization', `DPoP ${token}`]));
    expectRefused(result, 401, [{ ErrorCode: 'U006', Message: 'The Authorization header must be sent once', Path: 'Authorization' }]);
    expect(result.headers['www-authenticate']).toBe('DPoP error="invalid_token", error_description="The access token is not valid", algs="PS256 ES256"');
  });

  it('refuses two DPoP lines with 401 U006 (RFC 9449 4.3: not more than one DPoP header)', async () => {
    const first = await h.dpop.proof('POST', `${h.api.publicUrl}${CONSENTS}`, token);
    const second = await h.dpop.proof('POST', `${h.api.publicUrl}${CONSENTS}`, token);
    const result = await post(withLines('dpop', ['dpop', first], ['DPoP', second]));
    expectRefused(result, 401, [{ ErrorCode: 'U006', Message: 'The DPoP proof is not valid (the DPoP header must be sent once)', Path: 'DPoP' }]);
    expect(result.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
  });

  it.each([
    ['x-fapi-auth-date', AUTH_DATE],
    ['x-fapi-customer-ip-address', '198.51.100.7'],
  ])('refuses two %s lines, even with one value, with 400 U006 naming the header', async (name, value) => {
    const result = await post(withLines(name, [name, value], [name, value]));
    expectRefused(result, 400, [{ ErrorCode: 'U006', Message: `${name} must be sent once`, Path: name }]);
  });

  it.each([
    ['application/json', 'text/plain'],
    ['text/plain', 'application/json'],
    ['application/json', 'application/json'],
  ])('refuses two Content-Type lines (%s, then %s) with 415, writing nothing: Node keeps the first, another reader the last', async (first, second) => {
    const before = await countConsents();
    const result = await post(withLines('content-type', ['content-type', first], ['Content-Type', second]));
    expectRefused(result, 415, [expect.objectContaining({ ErrorCode: 'U010' })]);
    expect(await countConsents()).toBe(before);
  });

  it('replaces two x-fapi-interaction-id lines with an id of its own, as any malformed one', async () => {
    const sent = [randomUUID(), randomUUID()];
    const result = await post(withLines('x-fapi-interaction-id', ['x-fapi-interaction-id', sent[0]!], ['x-fapi-interaction-id', sent[1]!]));
    expect(result.status, result.text).toBe(201);
    const echoed = result.headers['x-fapi-interaction-id'];
    expect(echoed).toMatch(UUID);
    expect(sent).not.toContain(echoed);
  });

  it('refuses a customer session sent on two Authorization lines (Node would keep the first), and takes it on one', async () => {
    const session = await h.customerSession('alice');
    const bearer: HeaderLine = ['authorization', `Bearer ${session}`];
    expect((await rawRequest(h.api.url, 'GET', '/customer/consents', [bearer])).status).toBe(200);
    expect((await rawRequest(h.api.url, 'GET', '/customer/consents', [bearer, ['Authorization', 'Bearer another-token']])).status).toBe(401);
  });
});
