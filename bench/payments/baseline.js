// The bare baseline of the payments bench: plain Fastify and a pg pool of the API's size, answering the
// same POST with the same two writes the payment makes at the ledger, in one transaction (a conditional
// balance UPDATE that holds the funds check, and a payment INSERT), after a PS256 verify of the body's
// detached JWS (x-jws-signature) with jose, the TPP's key imported once. No token, no DPoP, no
// idempotency, no control parameters, no audit, no response signature: that is what the ratio prices.
import { randomUUID } from 'node:crypto';

import Fastify from 'fastify';
import { base64url, flattenedVerify, importJWK } from 'jose';
import pg from 'pg';

const PATH = '/open-banking/v4.0/pisp/domestic-vrps';
const OB_IAT = 'http://openbanking.org.uk/iat';
const OB_ISS = 'http://openbanking.org.uk/iss';
const OB_TAN = 'http://openbanking.org.uk/tan';
const CRIT = { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true };

const DEBIT = `UPDATE balance SET amount = amount - $2::numeric, date_time = now()
  WHERE account_id = $1 AND type = 'InterimAvailable' AND credit_debit_indicator = 'Credit' AND amount >= $2::numeric
  RETURNING amount::text`;
const INSERT = `INSERT INTO bench_payment (payment_id, consent_id, client_id, account_id, amount, currency, instruction, created_at)
  VALUES ($1, $2, $3, $4, $5::numeric, $6, $7::jsonb, now())`;

/** A JSON body parser that keeps the exact bytes too (`request.rawBody`), which the detached JWS signs. */
export function parseJsonKeepingBytes(request, body, done) {
  request.rawBody = body;
  try {
    done(null, JSON.parse(body.toString('utf8')));
  } catch (error) {
    error.statusCode = 400;
    done(error);
  }
}

/** Whether the request's x-jws-signature is a PS256 signature of its body by the TPP's key, with its kid, iss and tan. */
export async function signedByTpp(request, key, signing) {
  const [protectedHeader, , signature] = String(request.headers['x-jws-signature'] ?? '').split('.');
  try {
    const { protectedHeader: header } = await flattenedVerify({ protected: protectedHeader, payload: base64url.encode(request.rawBody), signature }, key, {
      algorithms: ['PS256'],
      crit: CRIT,
    });
    return header.kid === signing.kid && header[OB_ISS] === signing.iss && header[OB_TAN] === signing.tan;
  } catch {
    return false;
  }
}

/** Starts the baseline on loopback; resolves to its URL and a close function. */
export async function startBaseline({ databaseUrl, tppPublicJwk, signing, debtorAccountId, consentId, clientId }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_payment (payment_id text PRIMARY KEY, consent_id text NOT NULL, client_id text NOT NULL,
    account_id text NOT NULL, amount numeric(18,5) NOT NULL, currency char(3) NOT NULL, instruction jsonb NOT NULL, created_at timestamptz NOT NULL)`);
  const key = await importJWK(tppPublicJwk, 'PS256');

  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonKeepingBytes);
  app.post(PATH, async (request, reply) => {
    if (!(await signedByTpp(request, key, signing))) return reply.status(400).send({ Errors: [{ ErrorCode: 'U015' }] });
    const instruction = request.body.Data.Instruction;
    const { Amount, Currency } = instruction.InstructedAmount;
    const paymentId = `vrp-${randomUUID()}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const debited = await client.query(DEBIT, [debtorAccountId, Amount]);
      if (debited.rowCount !== 1) throw new Error('funds');
      await client.query(INSERT, [paymentId, consentId, clientId, debtorAccountId, Amount, Currency, JSON.stringify(instruction)]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    return reply.status(201).send({ Data: { DomesticVRPId: paymentId, ConsentId: consentId, Status: 'ACSP', Instruction: instruction }, Links: { Self: `${PATH}/${paymentId}` }, Meta: {} });
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${app.server.address().port}`,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}
