import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

import { isInteractionId } from './interaction-id.hook.js';
import { RouteRegistry } from './route-registry.js';

describe('RouteRegistry', () => {
  it('knows the methods served at a concrete path, parameters included', async () => {
    const fastify = Fastify();
    const routes = new RouteRegistry();
    routes.attach(fastify);
    fastify.get('/open-banking/v4.0/aisp/accounts/:AccountId', async () => ({}));
    fastify.delete('/open-banking/v4.0/aisp/account-access-consents/:ConsentId', async () => ({}));
    fastify.get('/open-banking/v4.0/aisp/account-access-consents/:ConsentId', async () => ({}));
    await fastify.ready();
    expect(routes.allowedMethods('/open-banking/v4.0/aisp/accounts/abc')).toEqual(['GET', 'HEAD']);
    expect(routes.allowedMethods('/open-banking/v4.0/aisp/account-access-consents/aac-1')).toEqual(['DELETE', 'GET', 'HEAD']);
    expect(routes.allowedMethods('/open-banking/v4.0/aisp/accounts/abc/unknown')).toEqual([]);
    await fastify.close();
  });
});

describe('isInteractionId', () => {
  it('accepts an RFC 4122 UUID and nothing else', () => {
    expect(isInteractionId('93bac548-d2de-4546-b106-880a5018460d')).toBe(true);
    expect(isInteractionId('93BAC548-D2DE-4546-B106-880A5018460D')).toBe(true);
    for (const value of ['', 'abc', '93bac548-d2de-4546-b106-880a5018460d-extra', '<script>', undefined, ['93bac548-d2de-4546-b106-880a5018460d']]) {
      expect(isInteractionId(value)).toBe(false);
    }
  });
});
