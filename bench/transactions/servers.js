// Child process of run.js: a database and Redis prefix of its own, the sandbox seeded with enough rows
// for full pages, a local PS256 issuer (discovery + JWKS), the Consentry API (every check, audited) and
// the two bare baselines of baselines.js. Sends run.js what it needs to build requests, then waits.

import { loadApiConfig } from '@consentry/config';
import { AuthoriseAccountAccessConsent, CreateAccountAccessConsent } from '@consentry/consents';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis } from '@consentry/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

import { startApi } from '../../apps/api/dist/api.bootstrap.js';
import { startLocalIssuer } from '../support/issuer.js';
import { answerUsageRequests } from '../support/usage.js';
import { startBaselines } from './baselines.js';

const SECRETS_KEY = Buffer.alloc(32, 0x5a);
const db = await createTestDatabase('bench_transactions');
const redis = createTestRedis('bench_transactions');
const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(SECRETS_KEY), seed: 11, transactionsPerAccount: 400 });

const localIssuer = await startLocalIssuer();
const issuer = localIssuer.url;
const { jwks, privateKey } = localIssuer;

const api = await startApi(
  loadApiConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SECRETS_KEY: SECRETS_KEY.toString('base64'),
    API_PORT: '0',
    API_URL: 'http://127.0.0.1:0',
    AUTH_SERVER_URL: issuer,
    LOG_LEVEL: 'silent',
    API_PAGE_SIZE: '100',
    // One TPP sends thousands of calls a minute here: lift the per-TPP rate limit (it still runs, so
    // its Redis script is part of what is measured).
    TPP_RATE_LIMIT_PER_MINUTE: '10000000',
  }),
  { connectors: [] },
);
const baselines = await startBaselines({ databaseUrl: db.url, issuer, jwks });

const alice = sandbox.psus.find((p) => p.username === 'alice');
const [{ psu_id: psuId }] = await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = 'alice'`);
const consent = await new CreateAccountAccessConsent(db.dataSource).execute({
  clientId: sandbox.tpp.client_id,
  permissions: ['ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits'],
});
await new AuthoriseAccountAccessConsent(db.dataSource).execute({
  consentId: consent.consentId,
  clientId: sandbox.tpp.client_id,
  psuId,
  accountIds: alice.accounts.map((a) => a.accountId),
  grantId: `grant-${consent.consentId}`,
});

const dpop = await generateKeyPair('ES256', { extractable: true });
const dpopJwk = await exportJWK(dpop.privateKey);
const { calculateJwkThumbprint } = await import('jose');
const jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey));

async function token(audience) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: sandbox.tpp.client_id, scope: 'accounts', cnf: { jkt }, openbanking_intent_id: consent.consentId, grant_id: `grant-${consent.consentId}` })
    .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: 'bench-1' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(psuId)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

process.send({
  targets: {
    a: { url: baselines.a },
    b: { url: baselines.b, token: await token(baselines.b) },
    api: { url: api.publicUrl, token: await token(api.publicUrl) },
  },
  accountId: alice.accounts[0].accountId,
  dpopJwk,
});

answerUsageRequests();

process.on('message', async (message) => {
  if (message !== 'stop') return;
  await api.close();
  await baselines.close();
  localIssuer.close();
  await redis.cleanup();
  await db.drop();
  process.exit(0);
});
