// Child process of run.js: starts the Consentry auth server (PostgreSQL, Redis, audit, Nest + Fastify) and
// a bare oidc-provider with the same configuration object and its in-memory adapter, then waits for run.js.
// Same settings means: createConfiguration() with the same API URL, token lifetime and signing keys, and
// the TPP's client metadata exactly as our Client adapter hands it to the provider (scope from its roles,
// query response mode), found through the provider's adapter (a dynamic client, as ours is).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadAuthServerConfig } from '@consentry/config';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis } from '@consentry/testing';
import Provider from 'oidc-provider';

import { startAuthServer } from '../../apps/auth-server/dist/auth-server.bootstrap.js';
import { createConfiguration } from '../../apps/auth-server/dist/provider/configuration.js';
import { loadSigningJwks } from '../../apps/auth-server/dist/provider/signing-keys.js';
import { tppClientMetadata } from '../../apps/auth-server/dist/provider/tpp-client.adapter.js';

const API_URL = 'http://localhost:3000';
const db = await createTestDatabase('bench_token');
const redis = createTestRedis('bench_token');
const dataDir = await mkdtemp(join(tmpdir(), 'consentry-bench-'));
const config = loadAuthServerConfig({
  DATABASE_URL: db.url,
  REDIS_URL: redis.url,
  REDIS_PREFIX: redis.prefix,
  CONSENTRY_DATA_DIR: dataDir,
  AUTH_SERVER_PORT: '0',
  API_URL,
  LOG_LEVEL: 'silent',
  // One client from one address at full speed: the per-minute limits are what is not measured here.
  OAUTH_RATE_LIMIT_PER_CLIENT: '10000000',
  OAUTH_RATE_LIMIT_PER_IP: '10000000',
});
const credentials = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(config.secretsKeys), transactionsPerAccount: 0, seed: 1 });
const ours = await startAuthServer(config);

const [row] = await db.dataSource.query(`SELECT client_metadata, roles FROM tpp WHERE client_id = $1`, [credentials.tpp.client_id]);
const http = createServer();
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://localhost:${http.address().port}`;
const configuration = createConfiguration({
  apiUrl: config.apiUrl,
  accessTokenTtl: config.accessTokenTtl,
  jwks: await loadSigningJwks(config),
  cookieKeys: [randomBytes(32).toString('base64url')],
  dpopNonceSecret: randomBytes(32),
  adapter: undefined,
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  isClientActive: async () => true,
});
delete configuration.adapter;
const bare = new Provider(bareUrl, configuration);
await bare.Client.adapter.upsert(credentials.tpp.client_id, tppClientMetadata(credentials.tpp.client_id, row.client_metadata, row.roles));
http.on('request', bare.callback());

process.send({ ours: ours.url, bare: bareUrl, tpp: credentials.tpp });
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await ours.close();
  http.close();
  await redis.cleanup();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
});
