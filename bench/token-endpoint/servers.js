// Child process of run.js: starts the Consentry auth server (PostgreSQL, audit, Nest + Fastify) and a
// bare oidc-provider with the same configuration and its in-memory adapter, then waits for run.js.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadAuthServerConfig } from '@consentry/config';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase } from '@consentry/testing';
import Provider from 'oidc-provider';

import { startAuthServer } from '../../apps/auth-server/dist/auth-server.bootstrap.js';
import { loadAuthServerSettings } from '../../apps/auth-server/dist/auth-server.settings.js';
import { createConfiguration } from '../../apps/auth-server/dist/provider/configuration.js';
import { loadSigningJwks } from '../../apps/auth-server/dist/provider/signing-keys.js';

const API_URL = 'http://localhost:3000';
const db = await createTestDatabase('bench_token');
const dataDir = await mkdtemp(join(tmpdir(), 'consentry-bench-'));
const config = loadAuthServerConfig({ DATABASE_URL: db.url, CONSENTRY_DATA_DIR: dataDir, AUTH_SERVER_PORT: '0', API_URL, LOG_LEVEL: 'silent' });
const credentials = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(config.secretsKey), transactionsPerAccount: 0, seed: 1 });
const ours = await startAuthServer(config, loadAuthServerSettings({}));

// The bare provider: same configuration object, same keys, the TPP as a static client, memory adapter.
const [row] = await db.dataSource.query(`SELECT client_metadata FROM tpp WHERE client_id = $1`, [credentials.tpp.client_id]);
const http = createServer();
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://localhost:${http.address().port}`;
const configuration = createConfiguration({
  apiUrl: API_URL,
  accessTokenTtl: config.accessTokenTtl,
  jwks: await loadSigningJwks(config),
  cookieKeys: [randomBytes(32).toString('base64url')],
  dpopNonceSecret: randomBytes(32),
  adapter: undefined,
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
});
delete configuration.adapter;
configuration.clients = [{ ...row.client_metadata, scope: 'openid accounts' }];
const bare = new Provider(bareUrl, configuration);
http.on('request', bare.callback());

process.send({ ours: ours.url, bare: bareUrl, tpp: credentials.tpp });
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await ours.close();
  http.close();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
});
