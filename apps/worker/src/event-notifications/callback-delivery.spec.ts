import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postEventNotification } from './callback-delivery.js';
import { deliveryBackoffMs } from './event-notifications.jobs.js';

const LIMITS = { connectTimeoutMs: 1_000, responseTimeoutMs: 300, maxResponseBytes: 64 };

describe('postEventNotification', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/big/event-notifications') response.writeHead(202).end('x'.repeat(10_000));
      else if (request.url === '/slow/event-notifications') setTimeout(() => response.writeHead(202).end(), 2_000);
      else response.writeHead(202).end();
    });
    await new Promise<void>((resolve) => server.listen(0, resolve));
    base = `http://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (path: string, sandbox = true) =>
    postEventNotification({ callbackUrl: `${base}${path}`, setJwt: 'a.b.c', financialId: 'bank', sandbox, limits: LIMITS });

  it('answers the callback\'s status', async () => {
    expect(await post('/ok')).toEqual({ status: 202 });
  });

  it('gives up on an answer larger than the cap, or slower than the limit', async () => {
    expect(await post('/big')).toEqual({ failure: 'the callback\'s answer exceeded 64 bytes' });
    expect(await post('/slow')).toEqual({ failure: 'the callback did not answer in time' });
  });

  it('never connects outside the sandbox to http://localhost', async () => {
    expect(await post('/ok', false)).toEqual({ failure: 'the callback URL must be https' });
  });
});

describe('deliveryBackoffMs', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 10, 40].map((n) => deliveryBackoffMs(n, 5_000, 3_600_000))).toEqual([5_000, 10_000, 20_000, 40_000, 2_560_000, 3_600_000]);
  });
});
