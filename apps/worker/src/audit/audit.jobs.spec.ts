import { describe, expect, it } from 'vitest';

import { auditBackoffDelay, auditBatchJobId } from './audit.jobs.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

describe('auditBatchJobId', () => {
  it('names the first and last event and is the same for the same batch', () => {
    const id = auditBatchJobId([A, B, C]);
    expect(id).toMatch(new RegExp(`^batch-${A}-${C}-[0-9a-f]{16}$`));
    expect(auditBatchJobId([A, B, C])).toBe(id);
  });

  it('differs for a batch with the same ends but other members', () => {
    expect(auditBatchJobId([A, C])).not.toBe(auditBatchJobId([A, B, C]));
  });

  it('contains no colon, which BullMQ refuses in custom ids', () => {
    expect(auditBatchJobId([A])).not.toContain(':');
  });

  it('refuses an empty batch', () => {
    expect(() => auditBatchJobId([])).toThrow('a batch has at least one event');
  });
});

describe('auditBackoffDelay', () => {
  it('doubles from one second and stops at one minute', () => {
    expect([1, 2, 3, 7, 8, 50].map((n) => auditBackoffDelay(n))).toEqual([1_000, 2_000, 4_000, 60_000, 60_000, 60_000]);
    expect([1, 3, 4, 50].map((n) => auditBackoffDelay(n, 5_000))).toEqual([1_000, 4_000, 5_000, 5_000]);
  });
});
