import { DataSource } from 'typeorm';

/** Where ledger reads go: a function given the DataSource to read from. */
export type LedgerRead<T> = (dataSource: DataSource) => Promise<T>;

/** Runs ledger reads where they should go (the replica while it serves, else the primary). */
export interface LedgerReader {
  read<T>(work: LedgerRead<T>): Promise<T>;
}

/** What the read router reports, for health and metrics. */
export interface ReadReplicaState {
  /** Whether the last check reached the replica and found it in recovery (a standby). */
  reachable: boolean;
  /** How far the replica's replay is behind the primary, in ms (0 when caught up); null when unknown. */
  lagMs: number | null;
  /** Whether ledger reads go to the replica now. */
  serving: boolean;
}

/** A PostgreSQL WAL position ('16/B374D848') as a number of bytes. */
export function parseLsn(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  if (high === undefined || low === undefined) throw new Error(`not a WAL position: ${lsn}`);
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * How long ago the primary was where the replica's replay is now: the oldest moment the primary's WAL
 * position was already beyond `replayed`. Samples are (when, the primary's position then), oldest first;
 * a replica at or past the newest sample is caught up (0). Measured on LSNs, not on the replay
 * timestamp, which stands still on an idle primary and so cannot tell "idle" from "stuck".
 */
export function replicaLagMs(samples: ReadonlyArray<{ at: number; lsn: bigint }>, replayed: bigint, now: number): number {
  const newest = samples.at(-1);
  if (!newest || replayed >= newest.lsn) return 0;
  const firstAhead = samples.find((sample) => sample.lsn > replayed)!;
  return Math.max(0, now - firstAhead.at);
}

// Errors after which a read is worth sending to the primary: anything that is not an SQL state (a socket
// refused or reset, a timeout, a pool that cannot connect), and the SQL states of a connection failure
// (08), resources (53), the server shutting down or restarting (57P), a system error (58), and a standby
// cancelling a read that conflicts with recovery (40001). A bad statement (42...) fails on the primary too.
function isReplicaFault(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return ['08', '53', '57', '58'].includes(code.slice(0, 2)) || code === '40001';
}

export interface ReadReplicaOptions {
  /** Reads go to the primary when the replica is further behind than this (READ_REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often the lag is measured; default a quarter of maxLagMs, between 50 and 1000 ms. */
  checkIntervalMs?: number;
  now?: () => number;
}

/**
 * Routes the ledger's reads (AIS accounts, balances, transactions and the other lists) to a streaming
 * replica while it is reachable and no more than `maxLagMs` behind, else to the primary. Every check
 * samples the primary's WAL position and the replica's replay position; the lag is how long ago the
 * primary passed the replayed position. A read the replica fails at a connection level is sent to the
 * primary at once, and the replica is not used again until a check finds it well. Consent, token, TPP,
 * audit, funds and payment reads never come here: they use the primary DataSource directly.
 */
export class ReadReplicaRouter implements LedgerReader {
  private samples: Array<{ at: number; lsn: bigint }> = [];
  private current: ReadReplicaState = { reachable: false, lagMs: null, serving: false };
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(
    private readonly primary: DataSource,
    private readonly replica: DataSource,
    private readonly options: ReadReplicaOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.checkIntervalMs ?? Math.min(1000, Math.max(50, Math.floor(options.maxLagMs / 4)));
  }

  get state(): ReadReplicaState {
    return { ...this.current };
  }

  /** Measures once now, then every check interval until stop(). */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    if (this.replica.isInitialized) await this.replica.destroy();
  }

  /** One measurement: the primary's position, the replica's replay, and from them whether to serve. */
  check(): Promise<void> {
    this.checking ??= this.measure().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async measure(): Promise<void> {
    try {
      const [primary] = (await this.primary.query(`SELECT pg_current_wal_lsn()::text AS lsn`)) as Array<{ lsn: string }>;
      const at = this.now();
      this.samples.push({ at, lsn: parseLsn(primary!.lsn) });
      // Keep what can still matter: a window a few times the lag allowed.
      const horizon = at - Math.max(10 * this.options.maxLagMs, 10_000);
      while (this.samples.length > 2 && this.samples[0]!.at < horizon) this.samples.shift();
    } catch {
      // The primary is the app's own problem; the replica's state is left as it was.
      return;
    }
    try {
      // Connected lazily, and again after a failed start: a replica down at boot serves once it is up.
      if (!this.replica.isInitialized) await this.replica.initialize();
      const [replica] = (await this.replica.query(`SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed`)) as Array<{
        standby: boolean;
        replayed: string | null;
      }>;
      if (!replica?.standby || replica.replayed === null) {
        this.current = { reachable: false, lagMs: null, serving: false };
        return;
      }
      const lagMs = replicaLagMs(this.samples, parseLsn(replica.replayed), this.now());
      this.current = { reachable: true, lagMs, serving: lagMs <= this.options.maxLagMs };
    } catch {
      this.current = { reachable: false, lagMs: null, serving: false };
    }
  }

  /** Runs a ledger read on the replica when it serves, else (or when it fails under the read) on the primary. */
  async read<T>(work: LedgerRead<T>): Promise<T> {
    if (!this.current.serving) return work(this.primary);
    try {
      return await work(this.replica);
    } catch (error) {
      if (!isReplicaFault(error)) throw error;
      this.current = { ...this.current, serving: false };
      return work(this.primary);
    }
  }
}
