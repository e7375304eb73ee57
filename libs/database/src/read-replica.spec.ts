import { describe, expect, it } from 'vitest';

import { parseLsn, replicaLagMs } from './read-replica.js';

describe('read replica lag', () => {
  it('reads WAL positions as byte counts', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('nonsense')).toThrow(/WAL position/);
  });

  const samples = [
    { at: 1_000, lsn: 100n },
    { at: 2_000, lsn: 200n },
    { at: 3_000, lsn: 300n },
  ];

  it('is zero at or past the primary’s newest position, whatever the clock says', () => {
    expect(replicaLagMs(samples, 300n, 9_000)).toBe(0);
    expect(replicaLagMs(samples, 350n, 9_000)).toBe(0);
    expect(replicaLagMs([], 0n, 9_000)).toBe(0);
  });

  it('is how long ago the primary first stood beyond the replayed position', () => {
    // Replayed 250: the primary passed it by 3,000 (at 2,000 it was still at 200).
    expect(replicaLagMs(samples, 250n, 3_400)).toBe(400);
    // Replayed 150: passed by 2,000.
    expect(replicaLagMs(samples, 150n, 3_400)).toBe(1_400);
    // Replayed nothing of the window: at least as old as the window.
    expect(replicaLagMs(samples, 50n, 3_400)).toBe(2_400);
  });
});
