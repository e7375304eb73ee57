import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PrivateRedisCluster, startPrivateRedisCluster } from '@consentry/testing';

import { ApiHarness } from '../support/api-harness.js';

const AISP = '/open-banking/v4.0/aisp';
const PREFIX = '{apicluster}';

/**
 * The API on a real three-master Redis Cluster (REDIS_CLUSTER_NODES) of its own: the DPoP replay cache,
 * the revocation check, customer sessions and the per-TPP rate limit all run there, and every key they
 * write sits under the prefix's hash tag, on one slot.
 */
describe('the API on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let h: ApiHarness;
  let token: string;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    h = await ApiHarness.start('redis_cluster', { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_PREFIX: PREFIX, TPP_RATE_LIMIT_PER_MINUTE: '12' });
    token = await h.consentToken(await h.authorisedConsent(['ReadAccountsBasic']));
  });

  afterAll(async () => {
    await h?.stop();
    await cluster?.destroy();
  });

  it('claims each DPoP proof once on the cluster: a replay is refused', async () => {
    const first = await h.tpp('GET', `${AISP}/accounts`, { token });
    expect(first.status).toBe(200);
    const replay = await h.tpp('GET', `${AISP}/accounts`, { token, proofValue: first.proof });
    expect(replay.status).toBe(401);
    expect(replay.body.Errors[0].Message).toMatch(/already used/);
  });

  it('keeps customer sessions on the cluster', async () => {
    const session = await h.customerSession('alice');
    const consents = await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${session}` } });
    expect(consents.status).toBe(200);
    const signedOut = await h.call('DELETE', '/customer/sessions/current', { headers: { authorization: `Bearer ${session}` } });
    expect([200, 204]).toContain(signedOut.status);
    expect((await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${session}` } })).status).toBe(401);
  });

  it('counts the TPP’s calls on the cluster and refuses those past its limit', async () => {
    let limited = 0;
    for (let i = 0; i < 14; i++) if ((await h.tpp('GET', `${AISP}/accounts`, { token })).status === 429) limited++;
    expect(limited).toBeGreaterThan(0);
  });

  it('writes every key under the hash tag, all on one node', async () => {
    const owners: string[] = [];
    for (const [node, keys] of await cluster.keysByNode()) {
      expect(keys.every((key) => key.startsWith(`${PREFIX}:`))).toBe(true);
      if (keys.length > 0) owners.push(node);
    }
    expect(owners).toHaveLength(1);
  });
});
