import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes) keeps a login well under 100 ms on one core.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** What the password hasher has done since the process started (tests read it; nothing else does). */
export interface PasswordHashingStats {
  /** Hash and verify operations run to the end (the dummy verification of an unknown user included). */
  runs: number;
  /** Operations running now. */
  inFlight: number;
  /** The most that ever ran at once: never above the cap. */
  peakInFlight: number;
  /** Operations waiting for a slot now. */
  waiting: number;
}

/**
 * Every argon2 operation of the process goes through here, at most `maxConcurrent` at once. argon2 runs
 * on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), the same pool that runs
 * the API's and the auth server's signature checks: a flood of sign-ins waits its turn here instead of
 * taking every thread and starving token checks.
 */
class PasswordHashing {
  private maxConcurrent = 2;
  private readonly queue: Array<() => void> = [];
  private readonly counters = { runs: 0, inFlight: 0, peakInFlight: 0 };

  setMaxConcurrent(maxConcurrent: number): void {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError('maxConcurrent must be a whole number of at least 1');
    this.maxConcurrent = maxConcurrent;
    while (this.counters.inFlight < this.maxConcurrent && this.queue.length > 0) this.handOver(this.queue.shift()!, true);
  }

  stats(): PasswordHashingStats {
    return { ...this.counters, waiting: this.queue.length };
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.counters.inFlight >= this.maxConcurrent) {
      // The slot is handed over by the operation that ends (counted in inFlight all along).
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.counters.inFlight += 1;
    }
    this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.counters.inFlight);
    try {
      return await operation();
    } finally {
      this.counters.runs += 1;
      const next = this.queue.shift();
      if (next && this.counters.inFlight <= this.maxConcurrent) this.handOver(next, false);
      else {
        if (next) this.queue.unshift(next);
        this.counters.inFlight -= 1;
      }
    }
  }

  private handOver(waiter: () => void, newSlot: boolean): void {
    if (newSlot) this.counters.inFlight += 1;
    waiter();
  }
}

const hashing = new PasswordHashing();

/**
 * Caps concurrent argon2 operations (the apps pass `passwordHashConcurrency` from libs/config: the
 * thread pool size minus 2, at least 1).
 */
export function capPasswordHashing(maxConcurrent: number): void {
  hashing.setMaxConcurrent(maxConcurrent);
}

/** Counters of the password hasher: how many hashes ran, and how many at once at most. */
export function passwordHashingStats(): PasswordHashingStats {
  return hashing.stats();
}

export function hashPassword(password: string): Promise<string> {
  return hashing.run(() => argon2.hash(password, OPTIONS));
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await hashing.run(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification, so an unknown username is not told apart by timing. The
 * dummy hash is made once per process with argon2 directly: it is not a sign-in's hash run.
 */
export async function burnPasswordVerification(password: string): Promise<void> {
  dummyHash ??= argon2.hash('consentry-timing-equaliser', OPTIONS);
  await verifyPassword(await dummyHash, password);
}
