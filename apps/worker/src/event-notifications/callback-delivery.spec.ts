import { createServer, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CallbackConnections, postEventNotification } from './callback-delivery.js';
import { deliveryBackoffMs } from './event-notifications.jobs.js';

const LIMITS = { connectTimeoutMs: 1_000, responseTimeoutMs: 300, maxResponseBytes: 64 };

describe('postEventNotification', () => {
  let server: Server;
  let base: string;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      paths.push(request.url ?? '');
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

  it('posts to the callback path + /event-notifications, keeping the callback’s query a query', async () => {
    paths.length = 0;
    expect(await post('/tpp/cb/?tenant=42')).toEqual({ status: 202 });
    expect(await post('/tpp')).toEqual({ status: 202 });
    expect(paths).toEqual(['/tpp/cb/event-notifications?tenant=42', '/tpp/event-notifications']);
  });

  it('never connects outside the sandbox to http://localhost', async () => {
    expect(await post('/ok', false)).toEqual({ failure: 'the callback URL must be https' });
  });
});

describe('postEventNotification with kept-alive connections', () => {
  let server: Server;
  let base: string;
  const opened: Socket[] = [];
  const pools = new CallbackConnections({ maxSocketsPerCallback: 4 });

  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(202).end());
    server.on('connection', (socket: Socket) => opened.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    pools.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const loopback = async () => [{ address: '127.0.0.1', family: 4 }];
  const post = (clientId: string) =>
    postEventNotification({ callbackUrl: base, setJwt: 'a.b.c', financialId: 'bank', sandbox: true, limits: LIMITS, resolve: loopback, connections: { pools, clientId } });

  it('reuses one TPP\'s connection from event to event, and never another TPP\'s', async () => {
    const before = opened.length;
    for (let i = 0; i < 5; i++) expect(await post('tpp-a')).toEqual({ status: 202 });
    expect(opened.length - before).toBe(1);
    expect(await post('tpp-b')).toEqual({ status: 202 });
    expect(opened.length - before).toBe(2);
  });

  it('keeps a pool per TPP, origin and checked address: a host now resolving elsewhere gets a new one', () => {
    const url = new URL('https://tpp.example/cb/event-notifications');
    const first = pools.poolFor('tpp-c', url, '203.0.113.5');
    expect(pools.poolFor('tpp-c', url, '203.0.113.5')).toBe(first);
    expect(pools.poolFor('tpp-c', url, '203.0.113.6')).not.toBe(first);
    expect(pools.poolFor('tpp-d', url, '203.0.113.5')).not.toBe(first);
    expect(pools.poolFor('tpp-c', new URL('https://tpp.example:8443/cb'), '203.0.113.5')).not.toBe(first);
  });

  it('delivers on a new connection when the callback closed the kept one', async () => {
    expect(await post('tpp-e')).toEqual({ status: 202 });
    for (const socket of opened) socket.destroy();
    const before = opened.length;
    expect(await post('tpp-e')).toEqual({ status: 202 });
    expect(opened.length - before).toBe(1);
  });
});

describe('deliveryBackoffMs', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 10, 40].map((n) => deliveryBackoffMs(n, 5_000, 3_600_000))).toEqual([5_000, 10_000, 20_000, 40_000, 2_560_000, 3_600_000]);
  });
});
