import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { TppClientAdapter } from '../../src/provider/tpp-client.adapter.js';
import { TppChangeListener, TppClientCache } from '../../src/provider/tpp-client.cache.js';

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('TppClientCache with the tpp_changed listener', () => {
  let db: TestDatabase;
  let cache: TppClientCache;
  let listener: TppChangeListener;
  let clients: TppClientAdapter;
  let reads = 0;

  beforeAll(async () => {
    db = await createTestDatabase('tpp_client_cache');
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES ('tpp-a', 'TPP A', '{AISP}', 'Active', '{"redirect_uris":["https://a.example/cb"]}')`);
    cache = new TppClientCache(60);
    listener = new TppChangeListener(db.url, cache);
    await listener.start();
    const counting = Object.create(db.dataSource, {
      query: { value: (...args: Parameters<typeof db.dataSource.query>) => ((reads += 1), db.dataSource.query(...args)) },
    });
    clients = new TppClientAdapter(counting, cache);
  });
  afterAll(async () => {
    await listener?.stop();
    await db?.drop();
  });

  it('serves an Active TPP from memory after the first read', async () => {
    reads = 0;
    expect(cache.enabled).toBe(true);
    expect((await clients.find('tpp-a'))?.client_id).toBe('tpp-a');
    expect((await clients.find('tpp-a'))?.client_id).toBe('tpp-a');
    expect(reads).toBe(1);
  });

  it('forgets a TPP the moment its row is suspended, whoever wrote it', async () => {
    await clients.find('tpp-a');
    await db.dataSource.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = 'tpp-a'`);
    await eventually(() => cache.get('tpp-a') === undefined);
    expect(await clients.find('tpp-a')).toBeUndefined();
    await db.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = 'tpp-a'`);
    await eventually(async () => (await clients.find('tpp-a')) !== undefined);
  });

  it('does not store a read that a change overtook', async () => {
    const generation = cache.snapshot();
    cache.evict('tpp-a');
    cache.set('tpp-a', { client_id: 'tpp-a' }, generation);
    expect(cache.get('tpp-a')).toBeUndefined();
  });

  it('stops caching when the listener is gone, and reads every request', async () => {
    await listener.stop();
    expect(cache.enabled).toBe(false);
    reads = 0;
    await clients.find('tpp-a');
    await clients.find('tpp-a');
    expect(reads).toBe(2);
  });
});
