import { describe, expect, it } from 'vitest';

import { AppMetrics } from './app-metrics.js';
import { operationsAnswerer } from './operations-endpoints.js';
import { Readiness } from './readiness.js';

const READY: Readiness = { status: 'ready', database: 'up', redis: 'up', migrations: 'applied' };
const REDIS_DOWN: Readiness = { status: 'unavailable', database: 'up', redis: 'down', migrations: 'applied' };

function answerer(readiness: Readiness, metricsAllowedCidrs = ['127.0.0.0/8', '::1/128']) {
  const metrics = new AppMetrics();
  return { metrics, answer: operationsAnswerer({ metrics, readiness: async () => readiness, metricsAllowedCidrs }) };
}

describe('operationsAnswerer', () => {
  it('answers liveness whatever the dependencies', async () => {
    const { answer } = answerer(REDIS_DOWN);
    expect(await answer('/health/live', '203.0.113.9')).toEqual({ status: 200, contentType: 'application/json; charset=utf-8', body: '{"status":"live"}' });
  });

  it('answers readiness 200 when everything is there and 503 with what is missing otherwise', async () => {
    expect(await answerer(READY).answer('/health/ready', '127.0.0.1')).toMatchObject({ status: 200, body: JSON.stringify(READY) });
    expect(await answerer(REDIS_DOWN).answer('/health/ready', '127.0.0.1')).toMatchObject({ status: 503, body: JSON.stringify(REDIS_DOWN) });
  });

  it('answers /metrics to the allowed addresses only, 404 to any other', async () => {
    const { answer } = answerer(READY);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const allowed = await answer('/metrics', address);
      expect(allowed?.status, address).toBe(200);
      expect(allowed?.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    }
    for (const address of ['203.0.113.9', '10.0.0.1', '::ffff:10.0.0.1', 'fd00::1']) {
      expect(await answer('/metrics', address), address).toEqual({ status: 404, contentType: 'application/json; charset=utf-8', body: '{"error":"not_found"}' });
    }
    const scrapers = answerer(READY, ['10.0.0.0/8']).answer;
    expect((await scrapers('/metrics', '10.1.2.3'))?.status).toBe(200);
    expect((await scrapers('/metrics', '127.0.0.1'))?.status).toBe(404);
  });

  it('leaves every other path to the app', async () => {
    expect(await answerer(READY).answer('/health', '127.0.0.1')).toBeUndefined();
  });
});

describe('AppMetrics', () => {
  it('labels request durations by route pattern, method and status, with one value for unmatched routes and odd methods', async () => {
    const metrics = new AppMetrics();
    metrics.observeRequest('GET', '/accounts/:AccountId', 200, 0.02);
    metrics.observeRequest('get', '/accounts/:AccountId', 200, 0.2);
    metrics.observeRequest('BREW', undefined, 404, 0.001);
    const { body } = await metrics.render();
    expect(body).toContain('consentry_http_request_duration_seconds_count{method="GET",route="/accounts/:AccountId",status_code="200"} 2\n');
    expect(body).toContain('consentry_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/accounts/:AccountId",status_code="200"} 1\n');
    expect(body).toContain('consentry_http_request_duration_seconds_count{method="OTHER",route="unmatched",status_code="404"} 1\n');
    // Node's process metrics come along.
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('reads the database pool at scrape time', async () => {
    const metrics = new AppMetrics();
    const pool = { totalCount: 3, idleCount: 1, waitingCount: 2, options: { max: 10 } };
    metrics.watchDatabasePool({ driver: { master: pool } });
    let { body } = await metrics.render();
    expect(body).toContain('consentry_db_pool_connections{state="total"} 3\nconsentry_db_pool_connections{state="idle"} 1\nconsentry_db_pool_connections{state="waiting"} 2\n');
    expect(body).toContain('consentry_db_pool_max_connections 10\n');
    pool.waitingCount = 0;
    ({ body } = await metrics.render());
    expect(body).toContain('consentry_db_pool_connections{state="waiting"} 0\n');
  });
});
