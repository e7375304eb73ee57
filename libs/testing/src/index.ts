export { createTestDatabase, TEST_DATABASE_SERVER_URL } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export { createTestRedis, TEST_REDIS_URL } from './test-redis.js';
export type { TestRedis } from './test-redis.js';
