// Child process of run.js: a database and Redis prefix of its own, the sandbox seeded (its TPP holds a
// PS256 message-signing key), a local PS256 issuer (discovery + JWKS), the Consentry API (every check,
// audited, responses signed) with one AUTH VRP consent whose limits the run never reaches, and the bare
// baseline of baseline.js. Sends run.js what it needs to build requests, then waits.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadApiConfig } from '@consentry/config';
import { AuthorisePaymentConsent, CreatePaymentConsent, PaymentApprovalSeal } from '@consentry/consents';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { publicJwkOf } from '@consentry/message-signing';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis } from '@consentry/testing';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

import { startApi } from '../../apps/api/dist/api.bootstrap.js';
import { startLocalIssuer } from '../support/issuer.js';
import { answerUsageRequests } from '../support/usage.js';
import { startBaseline } from './baseline.js';
import { startFloor } from './floor.js';

const SECRETS_KEY = Buffer.alloc(32, 0x5b);
const db = await createTestDatabase('bench_payments');
const redis = createTestRedis('bench_payments');
const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(SECRETS_KEY), seed: 12, transactionsPerAccount: 20 });
const dataDir = await mkdtemp(join(tmpdir(), 'consentry-bench-payments-'));

const localIssuer = await startLocalIssuer();
const issuer = localIssuer.url;
const { privateKey } = localIssuer;

const api = await startApi(
  loadApiConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SECRETS_KEY: SECRETS_KEY.toString('base64'),
    API_PORT: '0',
    API_URL: 'http://127.0.0.1:0',
    AUTH_SERVER_URL: issuer,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    CONSENTRY_DATA_DIR: dataDir,
    // One TPP sends thousands of calls a minute here: lift the per-TPP rate limit (it still runs).
    TPP_RATE_LIMIT_PER_MINUTE: '10000000',
    // The risk engine scores every VRP with the sandbox's rules and all their look-ups, scoring only
    // (sandbox-rules-scored.yaml): as shipped they would hold nearly all of them (more than 5 a 10 minutes
    // from one account), and a held VRP is not debited. RISK_RULES_FILE in the environment chooses others.
    RISK_RULES_FILE: process.env.RISK_RULES_FILE ?? fileURLToPath(new URL('./sandbox-rules-scored.yaml', import.meta.url)),
  }),
  { connectors: [] },
);

// alice's first GBP sort-code account pays; the payee is outside the sandbox (no credit leg), so the
// ledger's writes are the debit's: both interim balances and one transaction row.
const [debtor] = await db.dataSource.query(
  `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
    WHERE p.username = 'alice' AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
);
const debtorAccountId = debtor.account_id;
// Enough money that no payment of the run is ever short of funds (AM04 would also answer 201).
await db.dataSource.query(`UPDATE balance SET amount = 1000000000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtorAccountId]);
const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400499999999', Name: 'Bench Gym Ltd' };
const [{ psu_id: psuId }] = await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = 'alice'`);
const initiation = { CreditorAccount: payee };
const consent = await new CreatePaymentConsent(db.dataSource).execute({
  clientId: sandbox.tpp.client_id,
  kind: 'domestic-vrp',
  initiation,
  // A day and a month limit (both counted on every payment), far above what the run spends.
  controlParameters: {
    VRPType: ['UK.OBIE.VRPType.Other'],
    PSUAuthenticationMethods: ['UK.OBIE.SCA'],
    MaximumIndividualAmount: { Amount: '100.00', Currency: 'GBP' },
    PeriodicLimits: [
      { PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '100000000.00', Currency: 'GBP' },
      { PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '100000000.00', Currency: 'GBP' },
    ],
  },
  risk: { PaymentContextCode: 'BillingGoodsAndServicesInArrears' },
});
// Sealed as the auth server seals it, with the API's keyring, so the API's checks hold.
await new AuthorisePaymentConsent(db.dataSource, new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }])).execute({
  consentId: consent.consentId,
  clientId: sandbox.tpp.client_id,
  psuId,
  debtorAccountId,
  grantId: `grant-${consent.consentId}`,
});

const dpop = await generateKeyPair('ES256', { extractable: true });
const dpopJwk = await exportJWK(dpop.privateKey);
const jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey));

function token(audience) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: sandbox.tpp.client_id, scope: 'payments', cnf: { jkt }, openbanking_intent_id: consent.consentId, grant_id: `grant-${consent.consentId}` })
    .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: 'bench-1' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(psuId)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 3 * 3600)
    .sign(privateKey);
}

const signingJwk = sandbox.tpp.jwks.keys.find((key) => key.kid === sandbox.tpp.signing.kid);
const baseline = await startBaseline({ databaseUrl: db.url, tppPublicJwk: publicJwkOf(signingJwk), signing: sandbox.tpp.signing, debtorAccountId, consentId: consent.consentId, clientId: sandbox.tpp.client_id });
// The floor (floor.js): the list of work on the path, done by hand; FLOOR=0 leaves it out. It
// signs its answers with a PS256 key of its own, as the API signs with its message-signing key.
const floorSigning = await generateKeyPair('PS256', { extractable: true });
const floor =
  process.env.FLOOR === '0'
    ? null
    : await startFloor({
        databaseUrl: db.url,
        redisUrl: redis.url,
        redisPrefix: redis.prefix,
        issuer,
        issuerJwk: localIssuer.jwks.keys[0],
        tppPublicJwk: publicJwkOf(signingJwk),
        signing: sandbox.tpp.signing,
        bankSigningJwk: { ...(await exportJWK(floorSigning.privateKey)), kid: 'floor-1' },
        debtorAccountId,
        consentId: consent.consentId,
        clientId: sandbox.tpp.client_id,
      });

// The load generator's ceiling: a server that reads the body and answers 201 at once.
const sink = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end('{"Data":{}}');
  });
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));

process.send({
  targets: {
    sink: { url: `http://127.0.0.1:${sink.address().port}` },
    baseline: { url: baseline.url },
    api: { url: api.publicUrl, token: await token(api.publicUrl), metrics: true },
    ...(floor ? { floor: { url: floor.url, token: await token(floor.url) } } : {}),
  },
  consentId: consent.consentId,
  initiation,
  payee,
  dpopJwk,
  signingJwk,
  signing: sandbox.tpp.signing,
});

answerUsageRequests();

process.on('message', async (message) => {
  if (message === 'counts') {
    const [row] = await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM vrp_payment WHERE consent_id = $1 AND status = 'ACSP') AS acsp,
              (SELECT count(*)::int FROM vrp_payment WHERE consent_id = $1 AND status <> 'ACSP') AS other,
              (SELECT count(*)::int FROM bench_payment) AS baseline`,
      [consent.consentId],
    );
    process.send({ counts: { ...row, ...(floor ? { floor: await floor.counts() } : {}) } });
    return;
  }
  if (message !== 'stop') return;
  await api.close();
  await baseline.close();
  await floor?.close();
  localIssuer.close();
  sink.close();
  await redis.cleanup();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
});
