import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { AddressInfo, connect } from 'node:net';

import { generateMessageSigningJwk, OB_IAT, OB_ISS, OB_TAN, publicJwkOf, tppMessageIssuer } from '@consentry/message-signing';
import { base64url, createLocalJWKSet, CryptoKey, decodeProtectedHeader, flattenedVerify, generateKeyPair, importJWK, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { devMessageSigningJwksPath } from '../../src/message-signing/bank-signing-keys.js';
import { AISP, ApiHarness, CallResult } from '../support/api-harness.js';
import { PaymentWriteProbeModule, PROBE_PATH, PROBE_TABLE_DDL } from '../support/payment-write-probe.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

const JWKS_PATH = '/.well-known/message-signing-jwks.json';
const CRIT = { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true };

/** The suite's HTTP_REQUEST_TIMEOUT_MS: how long a client may take to send a request. */
const REQUEST_TIMEOUT_MS = 1_500;

describe('UK OB message signing: signed payment requests and signed answers', () => {
  let h: ApiHarness;
  let signer: TppMessageSigner;
  let bankKeys: ReturnType<typeof createLocalJWKSet>;
  let published: { keys: JWK[] };
  let key = 0;

  beforeAll(async () => {
    h = await ApiHarness.start('msg_signing', { HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }, { modules: [PaymentWriteProbeModule] });
    await h.dataSource.query(PROBE_TABLE_DDL);
    signer = await TppMessageSigner.of(h.sandbox.tpp);
    published = (await h.call('GET', JWKS_PATH)).body as unknown as { keys: JWK[] };
    bankKeys = createLocalJWKSet(published);
  });
  afterAll(async () => h?.stop());

  const probes = async () => ((await h.dataSource.query(`SELECT count(*)::int AS n FROM signing_probe`)) as Array<{ n: number }>)[0]!.n;

  /** A POST of `body` (exact text) with a signature and a fresh idempotency key unless given. */
  async function post(body: string, headers: Record<string, string | undefined>, path = PROBE_PATH): Promise<CallResult> {
    const sent: Record<string, string> = { 'content-type': 'application/json', 'x-idempotency-key': `key-${++key}` };
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) delete sent[name];
      else sent[name] = value;
    }
    return h.tpp('POST', path, { token: await h.clientCredentialsToken(), rawBody: body, headers: sent });
  }

  async function signed(body: string, overrides: Record<string, unknown> = {}): Promise<CallResult> {
    return post(body, { 'x-jws-signature': await signer.sign(body, overrides) });
  }

  /** Verifies an answer's x-jws-signature over its exact bytes with the published JWKS (jose only). */
  async function verifyAnswer(response: Response | CallResult, text: string) {
    const header = response.headers.get('x-jws-signature');
    expect(header).toBeTruthy();
    const [protectedHeader, payload, signature] = header!.split('.');
    expect(payload).toBe('');
    return flattenedVerify({ protected: protectedHeader, payload: base64url.encode(text), signature: signature! }, bankKeys, { algorithms: ['PS256'], crit: CRIT });
  }

  const errorOf = (result: CallResult) => ({
    status: result.status,
    errors: (result.body as unknown as { Errors: Array<{ ErrorCode: string; Path?: string }> }).Errors.map((e) => [e.ErrorCode, e.Path]),
  });

  it('accepts a request signed over its exact bytes and answers with a signature verifiable against the published JWKS', async () => {
    const body = '{"Amount":"10.00"}';
    const result = await signed(body);
    expect(result.status).toBe(201);
    expect(result.body).toEqual({ Data: { ProbeId: expect.any(String), Amount: '10.00' } });
    const verified = await verifyAnswer(result, JSON.stringify(result.body));
    expect(verified.protectedHeader).toMatchObject({ alg: 'PS256', typ: 'JOSE', cty: 'application/json', kid: published.keys[0]!.kid, [OB_ISS]: h.config.messageSigningIssuer, [OB_TAN]: 'sandbox.consentry.local' });
    expect(verified.protectedHeader?.crit).toEqual([OB_IAT, OB_ISS, OB_TAN]);
    expect(verified.protectedHeader?.b64).toBeUndefined();
  });

  it('signs the very bytes sent, which a TPP verifies before parsing them', async () => {
    const result = await signed('{"Amount":"11.00"}');
    const response = await fetch(`${h.api.url}${PROBE_PATH}/${result.body.Data.ProbeId}`, {
      headers: { authorization: `DPoP ${await h.clientCredentialsToken()}`, dpop: await h.dpop.proof('GET', `${h.api.publicUrl}${PROBE_PATH}/${result.body.Data.ProbeId}`, await h.clientCredentialsToken()) },
    });
    // A proof for one token sent with another is refused: that refusal, a 401, is signed like any answer.
    const text = await response.text();
    expect(response.status).toBe(401);
    await expect(verifyAnswer(response, text)).resolves.toBeDefined();
    await expect(verifyAnswer(response, `${text} `)).rejects.toThrow();
  });

  it('signs GETs and their 4xx answers under the PIS path, and nothing under the AIS path', async () => {
    const token = await h.clientCredentialsToken();
    const created = await signed('{"Amount":"12.00"}');
    const read = await h.tpp('GET', `${PROBE_PATH}/${created.body.Data.ProbeId}`, { token });
    expect(read.status).toBe(200);
    await verifyAnswer(read, JSON.stringify(read.body));
    const missing = await h.tpp('GET', `${PROBE_PATH}/999999`, { token: await h.clientCredentialsToken() });
    expect(missing.status).toBe(400);
    await verifyAnswer(missing, JSON.stringify(missing.body));
    const unknownRoute = await h.tpp('GET', '/open-banking/v4.0/cbpii/no-such-resource', { token: await h.clientCredentialsToken() });
    expect(unknownRoute.status).toBe(404);
    await verifyAnswer(unknownRoute, JSON.stringify(unknownRoute.body));
    // The path the router serves decides, however the request spells it.
    const escaped = await h.tpp('GET', `${PROBE_PATH.replace('/pisp/', '/%70isp/')}/${created.body.Data.ProbeId}`, { token: await h.clientCredentialsToken() });
    expect(escaped.status).toBe(200);
    await verifyAnswer(escaped, JSON.stringify(escaped.body));
    const ais = await h.tpp('GET', `${AISP}/accounts`, { token: await h.clientCredentialsToken() });
    expect(ais.headers.get('x-jws-signature')).toBeNull();
  });

  it('signs the router\'s own refusals under the PIS path too', async () => {
    const tooLong = await h.call('GET', `${PROBE_PATH}/${'9'.repeat(257)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.Errors[0].ErrorCode).toBe('U002');
    await verifyAnswer(tooLong, JSON.stringify(tooLong.body));
    // An id of up to 256 characters reaches its route (the spec allows 128 for a ConsentId): until 7 December 2026 one of 101 was 414.
    const long = await h.call('GET', `${PROBE_PATH}/${'9'.repeat(128)}`);
    expect(long.status).not.toBe(414);
    await verifyAnswer(long, JSON.stringify(long.body));
  });

  /** `request` sent as raw bytes (what no HTTP client would send); the answer's status line, headers and body. */
  async function rawExchange(...parts: string[]): Promise<{ status: number; headers: Headers; body: string }> {
    return rawExchangeEnding('open', ...parts);
  }

  /** As rawExchange; `halfClose` ends the client's side of the socket with its last write (FIN), still reading. */
  async function rawExchangeEnding(ending: 'open' | 'halfClose', ...parts: string[]): Promise<{ status: number; headers: Headers; body: string }> {
    const { hostname, port } = new URL(h.api.url);
    const received = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      // Each part is its own write, 100 ms after the last, so the server reads it on its own.
      const send = async () => {
        for (const [index, part] of parts.entries()) {
          if (index > 0) await new Promise((wait) => setTimeout(wait, 100));
          if (socket.destroyed) return;
          if (ending === 'halfClose' && index === parts.length - 1) socket.end(part);
          else socket.write(part);
        }
      };
      const socket = connect(Number(port), hostname, () => void send());
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    const [head = '', body = ''] = received.split('\r\n\r\n');
    const [statusLine = '', ...lines] = head.split('\r\n');
    const headers = new Headers(lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]));
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  it('answers what the HTTP parser refuses before the router (oversized headers, a malformed request) in the OB error shape, signed', async () => {
    // Headers over Node's 16 KiB, sent in one write or in several: either way the refusal is signed.
    const oversized = await rawExchange(`GET ${PROBE_PATH}/1 HTTP/1.1\r\nhost: localhost\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(oversized.status).toBe(431);
    const body = JSON.parse(oversized.body) as { Code: string; Id: string; Errors: Array<{ ErrorCode: string }> };
    expect(body).toMatchObject({ Code: '431 RequestHeaderFieldsTooLarge', Errors: [{ ErrorCode: 'U002' }] });
    expect(oversized.headers.get('x-fapi-interaction-id')).toBe(body.Id);
    await verifyAnswer(new Response(oversized.body, { headers: oversized.headers }), oversized.body);
    // The request line in one read, the overflowing headers in the next: the parser's bytes no longer show the path.
    const split = await rawExchange(`GET ${PROBE_PATH}/1 HTTP/1.1\r\nhost: localhost\r\n`, `x-padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(split.status).toBe(431);
    await verifyAnswer(new Response(split.body, { headers: split.headers }), split.body);
    const malformed = await rawExchange(`GET ${PROBE_PATH}/1 HTTP/1.1\r\nhost: localhost\r\nbad header\r\n\r\n`);
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ Code: '400 BadRequest', Errors: [{ ErrorCode: 'U002' }] });
    await verifyAnswer(new Response(malformed.body, { headers: malformed.headers }), malformed.body);
    // Under the AIS path, whose answers carry no signature, a refusal whose request line is readable is not signed.
    const ais = await rawExchange(`GET ${AISP}/accounts HTTP/1.1\r\nhost: localhost\r\nbad header\r\n\r\n`);
    expect(ais.status).toBe(400);
    expect(ais.headers.get('x-jws-signature')).toBeNull();
    // A client that half-closes right after its request still reads the signed refusal.
    const halfClosed = await rawExchangeEnding('halfClose', `GET ${PROBE_PATH}/1 HTTP/1.1\r\nhost: localhost\r\nbad header\r\n\r\n`);
    expect(halfClosed.status).toBe(400);
    await verifyAnswer(new Response(halfClosed.body, { headers: halfClosed.headers }), halfClosed.body);
  });

  it('answers 408 and closes a request whose body stops coming (slowloris), unauthenticated, after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const started = Date.now();
    // Until 7 December 2026 no limit: the socket stayed open for as long as the client kept it.
    const stalled = await rawExchange(`POST ${AISP}/account-access-consents HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"Data":`);
    expect(stalled.status).toBe(408);
    expect(JSON.parse(stalled.body)).toMatchObject({ Code: '408 RequestTimeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
  });

  it('refuses a request without x-jws-signature: 400 U019, nothing written', async () => {
    const before = await probes();
    expect(errorOf(await post('{"Amount":"1.00"}', {}))).toEqual({ status: 400, errors: [['U019', 'x-jws-signature']] });
    expect(await probes()).toBe(before);
  });

  it.each([
    ['a compact JWS with its payload attached', (s: string) => s.replace('..', `.${base64url.encode('{"Amount":"1.00"}')}.`)],
    ['a header that is not base64url JSON', () => `${base64url.encode('not json')}..c2ln`],
    ['two parts', (s: string) => s.split('..')[0]!],
  ])('refuses %s: 400 U018', async (_case, mangle) => {
    const body = '{"Amount":"1.00"}';
    const result = await post(body, { 'x-jws-signature': mangle(await signer.sign(body)) });
    expect(errorOf(result)).toEqual({ status: 400, errors: [['U018', 'x-jws-signature']] });
  });

  it('refuses a correctly signed protected header that gives a member twice: 400 U018, nothing written', async () => {
    const before = await probes();
    const body = '{"Amount":"1.00"}';
    // Read last-wins (JSON.parse, jose) this is the TPP's valid header; a first-wins reader sees alg none and another kid.
    const headerText = `{"alg":"none","kid":"other",${JSON.stringify(signer.header()).slice(1)}`;
    expect(errorOf(await post(body, { 'x-jws-signature': await signer.signWithHeaderText(body, headerText) }))).toEqual({ status: 400, errors: [['U018', 'x-jws-signature']] });
    // The same bytes without the repeated members are accepted: the refusal is the duplicate's alone.
    expect((await post(body, { 'x-jws-signature': await signer.signWithHeaderText(body, JSON.stringify(signer.header())) })).status).toBe(201);
    expect(await probes()).toBe(before + 1);
  });

  it.each([OB_TAN, OB_ISS, OB_IAT, 'kid'])('refuses a signature without %s: 400 U017 naming it', async (claim) => {
    const crit = [OB_IAT, OB_ISS, OB_TAN].filter((c) => c !== claim);
    const result = await signed('{"Amount":"1.00"}', { [claim]: undefined, crit });
    expect(errorOf(result)).toEqual({ status: 400, errors: [['U017', claim]] });
  });

  it.each<[string, Record<string, unknown>]>([
    [OB_ISS, { [OB_ISS]: tppMessageIssuer('another-org', 'sandbox-tpp') }],
    [OB_TAN, { [OB_TAN]: 'openbanking.org.uk' }],
    [OB_IAT, { [OB_IAT]: Math.floor(Date.now() / 1000) + 3600 }],
    ['typ', { typ: 'JWT' }],
    ['cty', { cty: 'application/jose' }],
    ['kid', { kid: 'no-such-kid' }],
  ])('refuses a wrong %s: 400 U016 naming it', async (claim, overrides) => {
    const result = await signed('{"Amount":"1.00"}', overrides);
    expect(errorOf(result)).toEqual({ status: 400, errors: [['U016', claim]] });
  });

  it('refuses the TPP\'s client-authentication key (ES256) as U016 on kid', async () => {
    const clientKid = String(h.sandbox.tpp.jwks.keys[0]!.kid);
    const result = await signed('{"Amount":"1.00"}', { kid: clientKid });
    expect(errorOf(result)).toEqual({ status: 400, errors: [['U016', 'kid']] });
  });

  it('refuses a body changed after signing, even by one space: 400 U015, nothing written', async () => {
    const before = await probes();
    const signature = await signer.sign('{"Amount":"2.00"}');
    expect(errorOf(await post('{ "Amount":"2.00"}', { 'x-jws-signature': signature }))).toEqual({ status: 400, errors: [['U015', 'x-jws-signature']] });
    expect(await probes()).toBe(before);
  });

  it('refuses a signature by a key the TPP did not register, under its registered kid: 400 U015', async () => {
    const { privateKey } = await generateKeyPair('PS256', { modulusLength: 2048 });
    const body = '{"Amount":"3.00"}';
    const result = await post(body, { 'x-jws-signature': await signer.sign(body, {}, privateKey) });
    expect(errorOf(result)).toEqual({ status: 400, errors: [['U015', 'x-jws-signature']] });
  });

  it('checks the token first, then x-idempotency-key, then the signature, then the body', async () => {
    const noToken = await h.call('POST', PROBE_PATH, { rawBody: '{"Amount":"1.00"}', headers: { 'content-type': 'application/json' } });
    expect(noToken.status).toBe(401);
    expect(errorOf(await post('{"Amount":"1.00"}', { 'x-idempotency-key': undefined, 'x-jws-signature': 'garbage' }))).toEqual({ status: 400, errors: [['U007', 'x-idempotency-key']] });
    expect(errorOf(await post('{"Amount":"1.00"}', { 'x-idempotency-key': 'k'.repeat(41) }))).toEqual({ status: 400, errors: [['U006', 'x-idempotency-key']] });
    expect(errorOf(await post('{"Amount":"x"}', { 'x-jws-signature': await signer.sign('{"Amount":"1.00"}') }))).toEqual({ status: 400, errors: [['U015', 'x-jws-signature']] });
    const invalidBody = await signed('{"Amount":"x"}');
    expect(invalidBody.status).toBe(400);
    expect(invalidBody.body.Errors[0]).toMatchObject({ ErrorCode: 'U002', Path: 'Amount' });
  });

  it('verifies signed POSTs without an idempotency key where the route takes none', async () => {
    const body = '{"Amount":"4.00"}';
    const result = await post(body, { 'x-idempotency-key': undefined, 'x-jws-signature': await signer.sign(body) }, `${PROBE_PATH}/funds-confirmation`);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ Data: { Amount: '4.00', FundsAvailable: true } });
    const unsigned = await post(body, { 'x-idempotency-key': undefined }, `${PROBE_PATH}/funds-confirmation`);
    expect(errorOf(unsigned)).toEqual({ status: 400, errors: [['U019', 'x-jws-signature']] });
  });

  it('verifies against keys a TPP publishes at its jwks_uri', async () => {
    const remoteJwk = await generateMessageSigningJwk();
    const server = createServer((request, response) => {
      response.writeHead(request.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [publicJwkOf(remoteJwk)] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      await h.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('remote-keys-tpp', 'Remote Keys', '{PISP}', $1)`, [
        JSON.stringify({ client_id: 'remote-keys-tpp', jwks_uri: jwksUri, org_id: 'remote-org', software_id: 'remote-keys-tpp' }),
      ]);
      const remote = await TppMessageSigner.of({
        ...h.sandbox.tpp,
        jwks: { keys: [remoteJwk as Record<string, unknown>] },
        signing: { kid: remoteJwk.kid!, iss: tppMessageIssuer('remote-org', 'remote-keys-tpp'), tan: 'sandbox.consentry.local' },
      });
      const body = '{"Amount":"5.00"}';
      const as = async (signature: string) =>
        h.tpp('POST', PROBE_PATH, {
          token: await h.issuer.mintAccessToken({ clientId: 'remote-keys-tpp', audience: h.api.publicUrl, jkt: h.dpop.jkt }),
          rawBody: body,
          headers: { 'content-type': 'application/json', 'x-idempotency-key': `remote-${++key}`, 'x-jws-signature': signature },
        });
      expect((await as(await remote.sign(body))).status).toBe(201);
      expect(errorOf(await as(await remote.sign(body, { kid: 'not-published' })))).toEqual({ status: 400, errors: [['U016', 'kid']] });
      // The sandbox TPP's key is not this TPP's, whatever iss it claims.
      expect(errorOf(await as(await signer.sign(body, { [OB_ISS]: tppMessageIssuer('remote-org', 'remote-keys-tpp') })))).toEqual({ status: 400, errors: [['U016', 'kid']] });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reads the TPP\'s registered keys with the TPP on every request: a key a re-registration replaces stops at once', async () => {
    const [first, second] = [await generateMessageSigningJwk(), await generateMessageSigningJwk()];
    const register = (keys: JWK[], orgId: string) =>
      JSON.stringify({ client_id: 'rotating-tpp', jwks: { keys: keys.map((k) => publicJwkOf(k)) }, org_id: orgId, software_id: 'rotating-tpp' });
    await h.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('rotating-tpp', 'Rotating Keys', '{PISP}', $1)`, [register([first], 'rotating-org')]);
    const signerWith = (jwk: JWK, orgId: string) =>
      TppMessageSigner.of({
        ...h.sandbox.tpp,
        jwks: { keys: [jwk as Record<string, unknown>] },
        signing: { kid: jwk.kid!, iss: tppMessageIssuer(orgId, 'rotating-tpp'), tan: 'sandbox.consentry.local' },
      });
    const body = '{"Amount":"6.00"}';
    const as = async (signer: TppMessageSigner) =>
      h.tpp('POST', PROBE_PATH, {
        token: await h.issuer.mintAccessToken({ clientId: 'rotating-tpp', audience: h.api.publicUrl, jkt: h.dpop.jkt }),
        rawBody: body,
        headers: { 'content-type': 'application/json', 'x-idempotency-key': `rotating-${++key}`, 'x-jws-signature': await signer.sign(body) },
      });
    expect((await as(await signerWith(first, 'rotating-org'))).status).toBe(201);
    const reregister = (keys: JWK[], orgId: string) => h.dataSource.query(`UPDATE tpp SET client_metadata = $1 WHERE client_id = 'rotating-tpp'`, [register(keys, orgId)]);
    await reregister([second], 'rotating-org');
    expect(errorOf(await as(await signerWith(first, 'rotating-org')))).toEqual({ status: 400, errors: [['U016', 'kid']] });
    expect((await as(await signerWith(second, 'rotating-org'))).status).toBe(201);
    // A new organisation id: the old iss stops at once too.
    await reregister([second], 'moved-org');
    expect(errorOf(await as(await signerWith(second, 'rotating-org')))).toEqual({ status: 400, errors: [['U016', OB_ISS]] });
    expect((await as(await signerWith(second, 'moved-org'))).status).toBe(201);
    // No organisation id: no iss matches (until 7 December 2026 `unregistered:<client_id>` did, a value the TPP could sign).
    await h.dataSource.query(`UPDATE tpp SET client_metadata = client_metadata - 'org_id' WHERE client_id = 'rotating-tpp'`);
    for (const iss of ['unregistered:rotating-tpp', tppMessageIssuer('moved-org', 'rotating-tpp')]) {
      const signer = await TppMessageSigner.of({ ...h.sandbox.tpp, jwks: { keys: [second as Record<string, unknown>] }, signing: { kid: second.kid!, iss, tan: 'sandbox.consentry.local' } });
      expect(errorOf(await as(signer)), iss).toEqual({ status: 400, errors: [['U016', OB_ISS]] });
    }
  });

  it('publishes public message-signing keys only, none of them a token-signing key', async () => {
    const response = await h.call('GET', JWKS_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = response.body as unknown as { keys: JWK[] };
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'PS256', use: 'sig' });
    const issuerJwks = (await (await fetch(`${h.issuer.url}/jwks`)).json()) as { keys: JWK[] };
    expect(issuerJwks.keys.map((k) => k.kid)).not.toContain(keys[0]!.kid);
  });

  it('refuses an access token signed with the bank\'s message-signing key: tokens verify with token-signing keys only', async () => {
    const stored = JSON.parse(await readFile(devMessageSigningJwksPath(h.config.dataDir), 'utf8')) as { keys: JWK[] };
    const messageKey = (await importJWK(stored.keys[0]!, 'PS256')) as CryptoKey;
    const token = await h.clientCredentialsToken({ signWith: { key: messageKey, kid: stored.keys[0]!.kid! } });
    expect(decodeProtectedHeader(token).kid).toBe(published.keys[0]!.kid);
    const result = await h.tpp('GET', `${AISP}/accounts`, { token });
    expect(result.status).toBe(401);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: 'U006', Path: 'Authorization' });
  });
});
