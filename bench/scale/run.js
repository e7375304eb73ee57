// bench/scale: does an AIS read cost the same at 100k, 1M and 10M transactions? For each size (in the same
// run, smallest first) a database of its own is seeded with `seedScale` (libs/sandbox; the same rows
// `npm run seed:scale` writes), the API starts on it, and each AIS resource of one scale consent is read
// REQUESTS times with 10 connections (DPoP-bound token, every check, audited), with consent creation and
// the auth server's token endpoint on the same database; ROUNDS rounds (default 3) of all of them in turn.
// One table at the end: per resource and size the median round's req/s and p99 (the rounds' p99s beside
// it), and each median p99 at the largest size against the smallest (target: within 1.5x). Checks the
// free disk first and says what the largest size needs.
// Not run by CI.
//   npx nx run-many -t build && npx node bench/scale/run.js        (SIZES=100000:1000:10000,... to choose)
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

import { loadApiConfig, loadAuthServerConfig } from '@consentry/config';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { scaleAccountId, scaleConsentId, scaleGrantId, seedSandbox, seedScale } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis } from '@consentry/testing';

import { startApi } from '../../apps/api/dist/api.bootstrap.js';
import { startAuthServer } from '../../apps/auth-server/dist/auth-server.bootstrap.js';
import { dpopProver, startLocalIssuer } from '../support/issuer.js';
import { tokenRequestPreparer } from '../support/token-requests.js';

const REQUESTS = Number(process.env.REQUESTS ?? 1000);
// Each size measures every resource ROUNDS times, the resources taking turns, and reports the median
// round: one p99 of a thousand requests moves by up to 2x from one run to the next on this machine.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WARMUP = Number(process.env.WARMUP ?? 200);
const CONNECTIONS = 10;
// transactions:accounts:consents per size.
const SIZES = (process.env.SIZES ?? '100000:1000:10000,1000000:10000:100000,10000000:100000:1000000').split(',').map((entry) => {
  const [transactions, accounts, consents] = entry.split(':').map(Number);
  return { transactions, accounts, consents, psus: Math.max(1, Math.ceil(accounts / 2)) };
});
// Measured here: 300k transactions, 3k accounts and 30k consents took 123 MB; a margin of two on top.
const BYTES_PER_TRANSACTION = 2 * 420;
const SECRETS_KEY = Buffer.alloc(32, 0x5c);
const AISP = '/open-banking/v4.0/aisp';

const largest = SIZES.reduce((a, b) => (b.transactions > a.transactions ? b : a));
const needed = largest.transactions * BYTES_PER_TRANSACTION;
const disk = await statfs(tmpdir());
const free = disk.bavail * disk.bsize;
console.log(`largest size ${largest.transactions.toLocaleString('en-GB')} transactions needs about ${(needed / 2 ** 30).toFixed(1)} GiB of database; ${(free / 2 ** 30).toFixed(1)} GiB free`);
if (free < needed) {
  console.error('bench/scale: not enough free disk for the largest size: free some, or choose smaller SIZES');
  process.exit(1);
}

const issuer = await startLocalIssuer();
const dpop = await generateKeyPair('ES256', { extractable: true });
const prove = dpopProver(await exportJWK(dpop.privateKey));
const jkt = await calculateJwkThumbprint(await exportJWK(dpop.publicKey));

function token({ audience, consentId, psuId, clientId, scope = 'accounts' }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: clientId, scope, cnf: { jkt }, ...(consentId ? { openbanking_intent_id: consentId, grant_id: scaleGrantId(consentId) } : {}) })
    .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: 'bench-1' })
    .setIssuer(issuer.url)
    .setAudience(audience)
    .setSubject(psuId ?? clientId)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(issuer.privateKey);
}

// Resolves to req/s (from the first request sent to the last answer read: autocannon's own duration moves
// in whole seconds) and p99; a warm-up of WARMUP requests first, so the first size is not the JIT's.
async function fire(url, method, bearer, body) {
  await shoot(url, method, bearer, body, WARMUP);
  return shoot(url, method, bearer, body, REQUESTS);
}

// The token endpoint (client_credentials, private_key_jwt, DPoP with nonce), each request prepared ahead.
async function fireToken(issuer, preparer) {
  await shootPrepared(`${issuer}/token`, await preparer.prepare(issuer, WARMUP));
  return shootPrepared(`${issuer}/token`, await preparer.prepare(issuer, REQUESTS));
}

async function shootPrepared(url, prepared) {
  let next = 0;
  let first;
  let last;
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    amount: prepared.length,
    requests: [{ method: 'POST', setupRequest: (request) => {
      first ??= performance.now();
      return { ...request, ...prepared[next++] };
    } }],
  });
  instance.on('response', () => {
    last = performance.now();
  });
  const result = await instance;
  if (result['2xx'] !== prepared.length) throw new Error(`POST ${url}: ${result['2xx']}/${prepared.length} were 2xx (non-2xx ${result.non2xx})`);
  return { rate: prepared.length / ((last - first) / 1000), p99: result.latency.p99 };
}

async function shoot(url, method, bearer, body, amount) {
  let first;
  let last;
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    requests: [
      {
        method,
        ...(body ? { body: JSON.stringify(body) } : {}),
        setupRequest: (request) => {
          first ??= performance.now();
          return {
          ...request,
          headers: {
            ...request.headers,
            accept: 'application/json',
            ...(body ? { 'content-type': 'application/json' } : {}),
            'x-fapi-customer-ip-address': '198.51.100.7',
            authorization: `DPoP ${bearer}`,
            dpop: prove(method, url, bearer),
          },
          };
        },
      },
    ],
  });
  instance.on('response', () => {
    last = performance.now();
  });
  const result = await instance;
  if (result['2xx'] !== amount) throw new Error(`${method} ${url}: ${result['2xx']}/${amount} were 2xx (non-2xx ${result.non2xx})`);
  return { rate: amount / ((last - first) / 1000), p99: result.latency.p99 };
}

const table = new Map();
for (const size of SIZES) {
  const label = `${(size.transactions / 1000).toLocaleString('en-GB')}k tx`;
  const db = await createTestDatabase('bench_scale');
  const redis = createTestRedis('bench_scale');
  let api;
  let authServer;
  const dataDir = await mkdtemp(join(tmpdir(), 'consentry-bench-scale-'));
  try {
    const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(SECRETS_KEY), seed: 5, transactionsPerAccount: 5 });
    const seeded = performance.now();
    await seedScale(db.dataSource, size);
    // Steady state before measuring, as a database of that size runs: the rows just written flushed (a
    // checkpoint now, not the one the seeding's WAL would trigger mid-measurement) and vacuumed, so the
    // visibility map lets index-only scans skip the heap, as autovacuum would have long since.
    const settling = performance.now();
    await db.dataSource.query('VACUUM (ANALYZE)');
    await db.dataSource.query('CHECKPOINT');
    console.log(`${label}: vacuumed and checkpointed in ${((performance.now() - settling) / 1000).toFixed(1)} s`);
    const [{ bytes }] = await db.dataSource.query(`SELECT pg_database_size(current_database())::float8 AS bytes`);
    console.log(`${label}: seeded ${JSON.stringify(size)} in ${((performance.now() - seeded) / 1000).toFixed(1)} s, database ${(bytes / 2 ** 20).toFixed(0)} MiB`);
    api = await startApi(
      loadApiConfig({
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SECRETS_KEY: SECRETS_KEY.toString('base64'),
        API_PORT: '0',
        API_URL: 'http://127.0.0.1:0',
        AUTH_SERVER_URL: issuer.url,
        LOG_LEVEL: 'silent',
        API_PAGE_SIZE: '100',
        TPP_RATE_LIMIT_PER_MINUTE: '10000000',
      }),
      { connectors: [] },
    );
    // A consent in the middle of the range, on an account in the middle: as far from either end as any.
    const n = Math.ceil(size.consents / 2);
    const consentId = scaleConsentId(n);
    const accountId = scaleAccountId(((n - 1) % size.accounts) + 1);
    const [{ psu_id: psuId }] = await db.dataSource.query(`SELECT psu_id FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    const clientId = sandbox.tpp.client_id;
    const bearer = await token({ audience: api.publicUrl, consentId, psuId, clientId });
    const resources = {
      accounts: `${AISP}/accounts`,
      account: `${AISP}/accounts/${accountId}`,
      balances: `${AISP}/accounts/${accountId}/balances`,
      transactions: `${AISP}/accounts/${accountId}/transactions`,
      'transactions (bulk)': `${AISP}/transactions`,
      beneficiaries: `${AISP}/beneficiaries`,
      'direct-debits': `${AISP}/direct-debits`,
      'standing-orders': `${AISP}/standing-orders`,
      'scheduled-payments': `${AISP}/scheduled-payments`,
      statements: `${AISP}/accounts/${accountId}/statements`,
      parties: `${AISP}/accounts/${accountId}/parties`,
      products: `${AISP}/products`,
      offers: `${AISP}/offers`,
    };
    const cc = await token({ audience: api.publicUrl, clientId });
    // The auth server on the same database: its token endpoint reads the TPP, writes the audit event.
    authServer = await startAuthServer(
      loadAuthServerConfig({
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SECRETS_KEY: SECRETS_KEY.toString('base64'),
        CONSENTRY_DATA_DIR: dataDir,
        AUTH_SERVER_PORT: '0',
        API_URL: api.publicUrl,
        LOG_LEVEL: 'silent',
        OAUTH_RATE_LIMIT_PER_CLIENT: '10000000',
        OAUTH_RATE_LIMIT_PER_IP: '10000000',
      }),
    );
    const preparer = await tokenRequestPreparer(sandbox.tpp);
    const measurements = [
      ...Object.entries(resources).map(([name, path]) => [name, () => fire(`${api.publicUrl}${path}`, 'GET', bearer)]),
      ['consent creation', () => fire(`${api.publicUrl}${AISP}/account-access-consents`, 'POST', cc, { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} })],
      ['token endpoint', () => fireToken(authServer.url, preparer)],
    ];
    const rounds = new Map(measurements.map(([name]) => [name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, measure] of measurements) {
        const measured = await measure();
        rounds.get(name).push(measured);
        console.log(`${label} round ${round} ${name.padEnd(20)} ${measured.rate.toFixed(0).padStart(6)} req/s   p99 ${measured.p99} ms`);
      }
    }
    for (const [name, measured] of rounds) {
      const byP99 = [...measured].sort((a, b) => a.p99 - b.p99);
      table.set(`${name}|${label}`, { ...byP99[Math.floor((byP99.length - 1) / 2)], p99s: measured.map((m) => m.p99) });
    }
  } finally {
    await api?.close();
    await authServer?.close();
    await rm(dataDir, { recursive: true, force: true });
    await redis.cleanup();
    await db.drop();
  }
}
issuer.close();

const labels = SIZES.map((size) => `${(size.transactions / 1000).toLocaleString('en-GB')}k tx`);
const names = [...new Set([...table.keys()].map((key) => key.split('|')[0]))];
console.log(`\nmedian of ${ROUNDS} rounds (each round's p99 in brackets)`);
console.log(`| resource | ${labels.map((l) => `${l} req/s | ${l} p99`).join(' | ')} | p99 largest / smallest (target <= 1.5x) |`);
console.log(`| --- | ${labels.map(() => '--- | ---').join(' | ')} | --- |`);
for (const name of names) {
  const cells = labels.map((l) => table.get(`${name}|${l}`));
  const ratio = cells.at(-1).p99 / Math.max(1, cells[0].p99);
  console.log(`| ${name} | ${cells.map((c) => `${c.rate.toFixed(0)} | ${c.p99} ms (${c.p99s.join(', ')})`).join(' | ')} | ${ratio.toFixed(2)}x ${ratio <= 1.5 ? 'met' : 'NOT met'} |`);
}
