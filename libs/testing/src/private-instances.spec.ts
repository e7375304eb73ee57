import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PrivatePostgres, startPrivatePostgres } from './private-postgres.js';
import { PrivateRedis, startPrivateRedis } from './private-redis.js';

async function countRows(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM drill');
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('startPrivatePostgres', () => {
  let server: PrivatePostgres;

  // initdb and a cold start take seconds on a busy machine: more than the unit project's 5 s default.
  beforeAll(async () => {
    server = await startPrivatePostgres();
  }, 60_000);
  afterAll(async () => server?.destroy());

  it('keeps committed rows through a stop, a kill -9 and restarts, on the same port', async () => {
    expect(server.port).not.toBe(5432);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('CREATE TABLE drill (n int)');
    await client.query('INSERT INTO drill SELECT generate_series(1, 3)');
    await client.end();

    await server.stop();
    await expect(countRows(server.url)).rejects.toThrow();
    await server.start();
    expect(await countRows(server.url)).toBe(3);

    await server.kill();
    await expect(countRows(server.url)).rejects.toThrow();
    await server.start();
    expect(await countRows(server.url)).toBe(3);
  }, 60_000);
});

describe('startPrivateRedis', () => {
  let server: PrivateRedis;
  let volatile: PrivateRedis;

  beforeAll(async () => {
    [server, volatile] = await Promise.all([startPrivateRedis(), startPrivateRedis({ appendOnly: false })]);
  }, 60_000);
  afterAll(async () => Promise.all([server?.destroy(), volatile?.destroy()]));

  async function roundTrip(target: PrivateRedis, restart: () => Promise<void>): Promise<string | null> {
    const client = new Redis(target.url, { maxRetriesPerRequest: 0 });
    await client.set('drill', 'kept');
    client.disconnect();
    await restart();
    await target.start();
    const again = new Redis(target.url, { maxRetriesPerRequest: 0 });
    try {
      return await again.get('drill');
    } finally {
      again.disconnect();
    }
  }

  it('keeps keys through a stop and a kill -9 with the append-only file on', async () => {
    expect(await roundTrip(server, () => server.stop())).toBe('kept');
    expect(await roundTrip(server, () => server.kill())).toBe('kept');
    const client = new Redis(server.url, { maxRetriesPerRequest: 0 });
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    client.disconnect();
  }, 30_000);

  it('loses keys on a kill -9 without persistence', async () => {
    expect(await roundTrip(volatile, () => volatile.kill())).toBeNull();
  }, 30_000);
});
