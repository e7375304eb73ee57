import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PrivateRedisCluster, startPrivateRedisCluster } from '@consentry/testing';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { assertionParams, postForm } from '../support/raw-oauth.js';
import { tppConfiguration } from '../support/tpp-client.js';

const PREFIX = '{authcluster}';

/**
 * The auth server on a real three-master Redis Cluster (REDIS_CLUSTER_NODES) of its own: the replay
 * markers of client assertions and DPoP proofs, the per-client rate limit and the revocation marks of
 * access tokens all run there, every key under the prefix's hash tag, on one slot.
 */
describe('the auth server on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let fixture: AuthServerFixture;
  let issuer: string;
  let config: client.Configuration;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    fixture = await startAuthServerFixture('auth_redis_cluster', {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      REDIS_PREFIX: PREFIX,
      OAUTH_RATE_LIMIT_PER_CLIENT: '8',
      OAUTH_RATE_LIMIT_PER_IP: '1000',
    });
    issuer = fixture.server.url;
    config = await tppConfiguration(issuer, fixture.credentials.tpp);
  });

  afterAll(async () => {
    await fixture?.stop();
    await cluster?.destroy();
  });

  async function allKeys(): Promise<Array<[string, string[]]>> {
    return [...(await cluster.keysByNode())];
  }

  it('issues DPoP-bound tokens, and refuses a client assertion presented twice', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) });
    expect(tokens.token_type).toBe('dpop');
    // The same assertion again: its jti's marker on the cluster refuses it (before any DPoP check).
    const assertion = await assertionParams(fixture.credentials.tpp, issuer);
    await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts', ...assertion });
    const replayed = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts', ...assertion });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('invalid_client');
  });

  it('marks a revoked access token on the cluster, where the API reads it', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) });
    const { jti } = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string };
    await client.tokenRevocation(config, tokens.access_token);
    const keys = (await allKeys()).flatMap(([, nodeKeys]) => nodeKeys);
    expect(keys).toContain(`${PREFIX}:revoked-at:{sandbox-tpp}:${jti}`);
  });

  it('counts the client’s requests on the cluster and refuses those past its limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      // No DPoP proof: refused (400) after the client authenticated, so each counts against its allowance.
      statuses.push((await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) })).status);
    }
    expect(statuses).toContain(429);
    expect(statuses.slice(statuses.indexOf(429)).every((status) => status === 429)).toBe(true);
  });

  it('writes every key under the hash tag, all on one node: replay markers, rate counters, revocation marks', async () => {
    const owners = (await allKeys()).filter(([, keys]) => keys.length > 0);
    expect(owners).toHaveLength(1);
    const keys = owners[0]![1];
    expect(keys.every((key) => key.startsWith(`${PREFIX}:`))).toBe(true);
    for (const kind of [':auth:replay:', ':auth:rate:', ':revoked-at:']) expect(keys.some((key) => key.includes(kind))).toBe(true);
  });
});
