// The payments bench's floor: what issue 12 asks of a VRP on its path ("DPoP and token, JWS verify,
// idempotency, control parameters, the atomic debit and audit", with the signed answer the issue asks of
// every PIS response), done in the leanest way that still does each of them, by hand on plain Fastify, pg
// and ioredis, beside the same baseline. It is not a design to ship: it skips what Consentry does besides
// (the risk engine, the TPP's registration and status, rate limits, the approval's seal, the body's
// whitelist validation, the bank as a connector of its own with the outcome written after it, the
// answer stored for a replay), and it keeps its own tables. What it measures is how near 0.6x the
// issue's own list of work can come on this machine: a ratio for the floor far below 0.6x would say the
// target asks more than the work allows here; one above it prices what Consentry's architecture adds.
//
// Per request, in this order:
// 1. The access token (PS256 JWT, the issuer's key imported once): iss, aud, exp, typ at+jwt, scope.
// 2. The DPoP proof (ES256, its embedded JWK): typ, htm, htu, iat within 60 s, ath, the key's thumbprint
//    against the token's cnf.jkt; its jti claimed once at Redis (SET NX EX, one round trip).
// 3. The body's detached JWS (PS256), its kid and the OB iss and tan, as the baseline checks them.
// 4. One statement, its own transaction, one round trip to PostgreSQL: the idempotency key claimed; the
//    consent's row (status AUTH, not expired, its day's running total under MaximumIndividualAmount and
//    the day's limit) updated; the conditional debit; the VRP inserted; its audit event inserted. Each
//    write runs only if the one before it wrote, so a refusal writes nothing but nothing is half done.
// 5. The answer, signed (PS256, detached, as the API signs).
import { createHash, randomUUID } from 'node:crypto';

import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { calculateJwkThumbprint, CompactSign, EmbeddedJWK, importJWK, jwtVerify } from 'jose';
import pg from 'pg';

import { parseJsonKeepingBytes, signedByTpp } from './baseline.js';

const PATH = '/open-banking/v4.0/pisp/domestic-vrps';
const OB_IAT = 'http://openbanking.org.uk/iat';
const PROOF_WINDOW_SECONDS = 60;
const encoder = new TextEncoder();

const TABLES = `
  CREATE TABLE IF NOT EXISTS floor_consent (consent_id text PRIMARY KEY, client_id text NOT NULL, status text NOT NULL, expires_at timestamptz NOT NULL,
    max_individual numeric(18,5) NOT NULL, day_limit numeric(18,5) NOT NULL, day date NOT NULL, day_spent numeric(18,5) NOT NULL);
  CREATE TABLE IF NOT EXISTS floor_idempotency (client_id text NOT NULL, key text NOT NULL, body_hash text NOT NULL, payment_id text NOT NULL,
    created_at timestamptz NOT NULL, PRIMARY KEY (client_id, key));
  CREATE TABLE IF NOT EXISTS floor_payment (payment_id text PRIMARY KEY, consent_id text NOT NULL, client_id text NOT NULL, account_id text NOT NULL,
    amount numeric(18,5) NOT NULL, currency char(3) NOT NULL, status text NOT NULL, instruction jsonb NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE IF NOT EXISTS floor_audit (event_id bigserial PRIMARY KEY, type text NOT NULL, client_id text NOT NULL, consent_id text NOT NULL,
    data jsonb NOT NULL, occurred_at timestamptz NOT NULL)`;

// $1 client, $2 key, $3 body hash, $4 payment id, $5 amount, $6 currency, $7 consent, $8 account, $9 instruction
const PAY = `
  WITH claimed AS (
    INSERT INTO floor_idempotency (client_id, key, body_hash, payment_id, created_at) VALUES ($1, $2, $3, $4, now())
    ON CONFLICT DO NOTHING RETURNING payment_id
  ), limited AS (
    UPDATE floor_consent SET day_spent = CASE WHEN day = current_date THEN day_spent ELSE 0 END + $5::numeric, day = current_date
     WHERE consent_id = $7 AND client_id = $1 AND status = 'AUTH' AND expires_at > now() AND $5::numeric <= max_individual
       AND CASE WHEN day = current_date THEN day_spent ELSE 0 END + $5::numeric <= day_limit AND EXISTS (SELECT FROM claimed)
    RETURNING 1
  ), debited AS (
    UPDATE balance SET amount = amount - $5::numeric, date_time = now()
     WHERE account_id = $8 AND type = 'InterimAvailable' AND credit_debit_indicator = 'Credit' AND amount >= $5::numeric AND EXISTS (SELECT FROM limited)
    RETURNING 1
  ), paid AS (
    INSERT INTO floor_payment (payment_id, consent_id, client_id, account_id, amount, currency, status, instruction, created_at)
    SELECT $4, $7, $1, $8, $5::numeric, $6, 'ACSP', $9::jsonb, now() WHERE EXISTS (SELECT FROM debited)
    RETURNING payment_id
  ), audited AS (
    INSERT INTO floor_audit (type, client_id, consent_id, data, occurred_at)
    SELECT 'payment.submitted', $1, $7, jsonb_build_object('paymentId', payment_id, 'amount', $5::text, 'currency', $6::text, 'status', 'ACSP'), now() FROM paid
    RETURNING 1
  )
  SELECT EXISTS (SELECT FROM claimed) AS claimed, EXISTS (SELECT FROM limited) AS limited, EXISTS (SELECT FROM paid) AS paid, EXISTS (SELECT FROM audited) AS audited`;

class Refusal extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

/** Starts the floor on loopback; resolves to its URL and a close function. */
export async function startFloor({ databaseUrl, redisUrl, redisPrefix, issuer, issuerJwk, tppPublicJwk, signing, bankSigningJwk, debtorAccountId, consentId, clientId }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query(TABLES);
  await pool.query(
    `INSERT INTO floor_consent VALUES ($1, $2, 'AUTH', now() + interval '1 year', 100, 100000000, current_date, 0) ON CONFLICT (consent_id) DO NOTHING`,
    [consentId, clientId],
  );
  const redis = new Redis(redisUrl);
  const issuerKey = await importJWK(issuerJwk, 'PS256');
  const tppKey = await importJWK(tppPublicJwk, 'PS256');
  const bankKey = await importJWK(bankSigningJwk, 'PS256');

  const app = Fastify({ logger: false });
  let url = '';
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonKeepingBytes);

  async function authenticate(request) {
    const [scheme, token] = String(request.headers.authorization ?? '').split(' ');
    if (scheme !== 'DPoP' || !token) throw new Refusal(401, 'invalid_token');
    const { payload: claims } = await jwtVerify(token, issuerKey, { issuer, audience: url, typ: 'at+jwt', algorithms: ['PS256'] }).catch(() => {
      throw new Refusal(401, 'invalid_token');
    });
    if (!String(claims.scope ?? '').split(' ').includes('payments') || claims.openbanking_intent_id !== consentId) throw new Refusal(403, 'insufficient_scope');
    const { payload: proof, protectedHeader } = await jwtVerify(String(request.headers.dpop ?? ''), EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] }).catch(() => {
      throw new Refusal(401, 'invalid_dpop_proof');
    });
    const now = Math.floor(Date.now() / 1000);
    const ath = createHash('sha256').update(token).digest('base64url');
    if (proof.htm !== 'POST' || proof.htu !== `${url}${PATH}` || proof.ath !== ath || typeof proof.jti !== 'string' || Math.abs(now - Number(proof.iat)) > PROOF_WINDOW_SECONDS) {
      throw new Refusal(401, 'invalid_dpop_proof');
    }
    if ((await calculateJwkThumbprint(protectedHeader.jwk)) !== claims.cnf?.jkt) throw new Refusal(401, 'invalid_dpop_proof');
    const claimed = await redis.set(`${redisPrefix}floor:dpop:${proof.jti}`, '1', 'EX', PROOF_WINDOW_SECONDS * 2, 'NX');
    if (claimed !== 'OK') throw new Refusal(401, 'invalid_dpop_proof');
    return claims;
  }

  async function signed(reply, status, body) {
    const text = JSON.stringify(body);
    const header = { alg: 'PS256', kid: bankSigningJwk.kid, typ: 'JOSE', cty: 'application/json', [OB_IAT]: Math.floor(Date.now() / 1000), crit: [OB_IAT] };
    const [protectedHeader, , signature] = (await new CompactSign(encoder.encode(text)).setProtectedHeader(header).sign(bankKey, { crit: { [OB_IAT]: true } })).split('.');
    return reply.status(status).header('content-type', 'application/json').header('x-jws-signature', `${protectedHeader}..${signature}`).send(text);
  }

  app.post(PATH, async (request, reply) => {
    try {
      await authenticate(request);
      const key = String(request.headers['x-idempotency-key'] ?? '');
      if (key.length === 0 || key.length > 40) throw new Refusal(400, 'U007');
      if (!(await signedByTpp(request, tppKey, signing))) throw new Refusal(400, 'U015');
      const data = request.body?.Data;
      const instruction = data?.Instruction;
      const amount = instruction?.InstructedAmount?.Amount;
      if (data?.ConsentId !== consentId || typeof amount !== 'string' || !/^\d{1,13}(\.\d{1,5})?$/.test(amount) || instruction.InstructedAmount.Currency !== 'GBP') {
        throw new Refusal(400, 'U002');
      }
      const paymentId = `vrp-${randomUUID()}`;
      const bodyHash = createHash('sha256').update(request.rawBody).digest('base64url');
      const {
        rows: [outcome],
      } = await pool.query({ name: 'floor-pay', text: PAY, values: [clientId, key, bodyHash, paymentId, amount, 'GBP', consentId, debtorAccountId, JSON.stringify(instruction)] });
      if (!outcome.claimed) throw new Refusal(409, 'U029');
      if (!outcome.limited) throw new Refusal(400, 'U014');
      if (!outcome.paid || !outcome.audited) throw new Refusal(400, 'U014');
      return await signed(reply, 201, {
        Data: { DomesticVRPId: paymentId, ConsentId: consentId, Status: 'ACSP', CreationDateTime: new Date().toISOString(), Instruction: instruction },
        Links: { Self: `${url}${PATH}/${paymentId}` },
        Meta: {},
      });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return signed(reply, error.status, { Code: String(error.status), Errors: [{ ErrorCode: error.code }] });
    }
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${app.server.address().port}`;
  return {
    url,
    async counts() {
      const {
        rows: [row],
      } = await pool.query(`SELECT (SELECT count(*)::int FROM floor_payment) AS paid, (SELECT count(*)::int FROM floor_audit) AS audited`);
      return row;
    },
    async close() {
      await app.close();
      await pool.end();
      redis.disconnect();
    },
  };
}
