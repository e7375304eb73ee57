// The two bare Fastify baselines of the transactions bench, over the same database rows:
//   (a) the page query alone;
//   (b) the page query + PS256 access-token verify + ES256 DPoP proof verify (htm, htu, iat, ath, jkt)
//       + one consent row read by id.
// Plain Fastify, a pg pool of the API's size, jose for the cryptography, the JWKS fetched once.
import { createHash } from 'node:crypto';

import Fastify from 'fastify';
import { calculateJwkThumbprint, createLocalJWKSet, EmbeddedJWK, jwtVerify } from 'jose';
import pg from 'pg';

const PAGE_SIZE = 100;
const PAGE_SQL = `SELECT t.* FROM transaction t
  WHERE t.account_id = $1 AND t.credit_debit_indicator = ANY($2::text[])
  ORDER BY t.booking_date_time, t.transaction_id LIMIT ${PAGE_SIZE + 1}`;

function amount(value) {
  const [whole, fraction = ''] = value.replace(/^-/, '').split('.');
  return `${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

// The same OBTransaction6 the API writes (Detail), so both serialise the same bytes per row.
function toOb(row) {
  return {
    AccountId: row.account_id,
    TransactionId: row.transaction_id,
    ...(row.transaction_reference ? { TransactionReference: row.transaction_reference } : {}),
    CreditDebitIndicator: row.credit_debit_indicator,
    Status: row.status,
    BookingDateTime: row.booking_date_time.toISOString(),
    ...(row.value_date_time ? { ValueDateTime: row.value_date_time.toISOString() } : {}),
    ...(row.transaction_information ? { TransactionInformation: row.transaction_information } : {}),
    Amount: { Amount: amount(row.amount), Currency: row.currency.trim() },
    ...(row.bank_transaction_code ? { BankTransactionCode: { Code: row.bank_transaction_code, SubCode: row.bank_transaction_sub_code } } : {}),
    ...(row.balance_after_amount !== null
      ? { Balance: { CreditDebitIndicator: row.balance_after_amount.startsWith('-') ? 'Debit' : 'Credit', Type: 'ITBD', Amount: { Amount: amount(row.balance_after_amount), Currency: row.currency.trim() } } }
      : {}),
    ...(row.merchant_name ? { MerchantDetails: { MerchantName: row.merchant_name, MerchantCategoryCode: row.merchant_category_code } } : {}),
  };
}

async function page(pool, request) {
  const { rows } = await pool.query(PAGE_SQL, [request.params.AccountId, ['Credit', 'Debit']]);
  return { Data: { Transaction: rows.slice(0, PAGE_SIZE).map(toOb) }, Links: { Self: request.url }, Meta: { TotalPages: 1 } };
}

/** Starts (a) and (b) on loopback; resolves to their URLs and a close function. */
export async function startBaselines({ databaseUrl, issuer, jwks }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const keySet = createLocalJWKSet(jwks);

  const a = Fastify({ logger: false });
  a.get('/open-banking/v4.0/aisp/accounts/:AccountId/transactions', (request) => page(pool, request));

  const b = Fastify({ logger: false });
  let bUrl = '';
  b.get('/open-banking/v4.0/aisp/accounts/:AccountId/transactions', async (request, reply) => {
    const authorization = request.headers.authorization ?? '';
    const token = authorization.startsWith('DPoP ') ? authorization.slice(5) : '';
    const proof = request.headers.dpop;
    try {
      const { payload: claims } = await jwtVerify(token, keySet, { issuer, audience: bUrl, typ: 'at+jwt', algorithms: ['PS256'] });
      const { payload: dpop, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
      const now = Math.floor(Date.now() / 1000);
      const htu = `${bUrl}${request.url.split('?')[0]}`;
      const ath = createHash('sha256').update(token).digest('base64url');
      if (dpop.htm !== request.method || dpop.htu !== htu || Math.abs(now - dpop.iat) > 300 || dpop.ath !== ath) throw new Error('proof mismatch');
      if ((await calculateJwkThumbprint(protectedHeader.jwk)) !== claims.cnf?.jkt) throw new Error('key mismatch');
      const { rows } = await pool.query(`SELECT status, client_id, expiration_date_time FROM account_access_consent WHERE consent_id = $1`, [claims.openbanking_intent_id]);
      if (rows[0]?.status !== 'AUTH' || rows[0].client_id !== claims.client_id) throw new Error('consent');
    } catch {
      return reply.status(401).send({ error: 'invalid_token' });
    }
    return page(pool, request);
  });

  await a.listen({ port: 0, host: '127.0.0.1' });
  await b.listen({ port: 0, host: '127.0.0.1' });
  bUrl = `http://127.0.0.1:${b.server.address().port}`;
  return {
    a: `http://127.0.0.1:${a.server.address().port}`,
    b: bUrl,
    async close() {
      await a.close();
      await b.close();
      await pool.end();
    },
  };
}
