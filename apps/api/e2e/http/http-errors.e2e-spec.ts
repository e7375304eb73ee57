import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const CONSENTS = `${AISP}/account-access-consents`;

describe('HTTP errors', () => {
  let h: ApiHarness;
  let token: string;

  beforeAll(async () => {
    h = await ApiHarness.start('http', { API_BODY_LIMIT: '2048' });
    token = await h.clientCredentialsToken();
  });
  afterAll(async () => h?.stop());

  function expectInteractionId(headers: Headers): void {
    expect(headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
  }

  it('answers malformed JSON with 400 U010', async () => {
    const result = await h.tpp('POST', CONSENTS, { token, rawBody: '{"Data": {', headers: { 'content-type': 'application/json' } });
    expect(result.status).toBe(400);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors[0].ErrorCode).toBe('U010');
    expectInteractionId(result.headers);
  });

  it('answers a JSON body that is not an object with 400 U010', async () => {
    const result = await h.tpp('POST', CONSENTS, { token, body: ['ReadBalances'] });
    expect(result.status).toBe(400);
    expect(result.body.Errors[0].ErrorCode).toBe('U010');
  });

  it('answers an oversize body with 413 before reading it', async () => {
    const result = await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadBalances'], Pad: 'x'.repeat(4096) }, Risk: {} } });
    expect(result.status).toBe(413);
    expectObSchema('OBErrorResponse1', result.body);
    expectInteractionId(result.headers);
  });

  it('lets a client still sending a body far over the limit read its 413 (node fetch, no EPIPE)', async () => {
    // 8 MB against a 2 KB limit: the client is still writing when the answer is ready. Closing the socket
    // then made node's fetch fail with EPIPE / "other side closed" instead of showing the 413.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await fetch(`${h.api.url}${CONSENTS}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ Data: { Pad: 'x'.repeat(8 * 1024 * 1024) } }),
      });
      expect(response.status).toBe(413);
      const body: unknown = await response.json();
      expectObSchema('OBErrorResponse1', body);
      expectInteractionId(response.headers);
    }
  });

  it('lets a client streaming a chunked body (no Content-Length) past the limit read its 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    // `duplex` is required by node's fetch for a stream body; lib.dom's RequestInit does not name it yet.
    const init: RequestInit & { duplex: 'half' } = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      duplex: 'half',
    };
    const response = await fetch(`${h.api.url}${CONSENTS}`, init);
    expect(response.status).toBe(413);
    const answer: unknown = await response.json();
    expectObSchema('OBErrorResponse1', answer);
    expectInteractionId(response.headers);
  });

  it('answers a body that is not JSON with 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jose+jwe']) {
      const result = await h.tpp('POST', CONSENTS, { token, rawBody: 'Data=1', headers: { 'content-type': contentType } });
      expect(result.status).toBe(415);
      expectObSchema('OBErrorResponse1', result.body);
      expectInteractionId(result.headers);
    }
  });

  it('answers an unknown route with 404 in the OB shape', async () => {
    const result = await h.call('GET', `${AISP}/no-such-resource`);
    expect(result.status).toBe(404);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors[0].ErrorCode).toBe('U011');
    expectInteractionId(result.headers);
  });

  it('answers a known route with another method with 405 and Allow', async () => {
    const result = await h.call('PUT', `${AISP}/accounts`);
    expect(result.status).toBe(405);
    expect(result.headers.get('allow')).toContain('GET');
    expectObSchema('OBErrorResponse1', result.body);
    expectInteractionId(result.headers);
  });

  it('answers a path with a trailing slash, which no route serves, 404 whatever the method: never a 405 whose Allow is not served there', async () => {
    for (const method of ['GET', 'POST', 'PUT'] as const) {
      const result = await h.tpp(method, `${CONSENTS}/`, { token, ...(method === 'GET' ? {} : { body: {} }) });
      expect(result.status, method).toBe(404);
      expect(result.headers.get('allow')).toBeNull();
      expectObSchema('OBErrorResponse1', result.body);
    }
  });

  it('answers the customer API’s unknown routes with a plain problem body', async () => {
    const result = await h.call('GET', '/customer/nothing-here');
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ error: 'not_found', message: 'No such resource' });
    expectInteractionId(result.headers);
  });

  it('answers an unexpected failure with a generic 500, without internals', async () => {
    // Breaking the consent table makes the next query fail inside the use case.
    await h.dataSource.query(`ALTER TABLE account_access_consent RENAME TO account_access_consent_broken`);
    try {
      const result = await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } });
      expect(result.status).toBe(500);
      expectObSchema('OBErrorResponse1', result.body);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U000', Message: 'An unexpected error occurred' }]);
      expect(JSON.stringify(result.body)).not.toMatch(/account_access_consent|relation|at .*\.ts/);
      expectInteractionId(result.headers);
    } finally {
      await h.dataSource.query(`ALTER TABLE account_access_consent_broken RENAME TO account_access_consent`);
    }
  });
});
