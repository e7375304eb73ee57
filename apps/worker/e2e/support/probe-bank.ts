import { SandboxLedgerConnector } from '@consentry/banking';
import { ConnectorServer, FaultyAnswer, serveBankConnector } from '@consentry/banking/test-support';
import type { EnvironmentKeyManagement } from '@consentry/identity';
import type { TestDatabase, TestRedis } from '@consentry/testing';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from './worker-test-config.js';

/** A PSU's GBP sort-code account, as a payment's debtor. */
export interface Debtor {
  account_id: string;
  psu_id: string;
}

/** The id and connector of the bank `probeAndLocalDebtors` moves the probe PSU's account to. */
export const PROBE_ASPSP = 'probe-bank';

/**
 * Two seeded PSUs' first GBP sort-code accounts, each holding `balance` with no overdraft: the first's
 * moved to a bank reached over HTTP (aspsp `probe-bank`, connector `connector`), the second's left at the
 * built-in ledger.
 */
export async function probeAndLocalDebtors(db: TestDatabase, usernames: readonly [string, string], connector: string, balance = 100): Promise<{ probe: Debtor; local: Debtor }> {
  const debtorOf = async (username: string): Promise<Debtor> =>
    (
      await db.dataSource.query(
        `SELECT a.account_id, a.psu_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
          WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
        [username],
      )
    )[0];
  const probe = await debtorOf(usernames[0]);
  const local = await debtorOf(usernames[1]);
  for (const { account_id } of [probe, local]) {
    await db.dataSource.query(`UPDATE balance SET amount = $2, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [account_id, balance]);
    await db.dataSource.query(`UPDATE account SET overdraft_limit = 0 WHERE account_id = $1`, [account_id]);
  }
  await db.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ($1, 'Probe Bank', $2)`, [PROBE_ASPSP, connector]);
  await db.dataSource.query(`UPDATE account SET aspsp_id = $2 WHERE account_id = $1`, [probe.account_id, PROBE_ASPSP]);
  return { probe, local };
}

/**
 * The probe bank (its ledger behind the connector protocol, answering `faulty`'s answer instead of a
 * debit's result when it gives one) and a worker that reaches it as `connector`, running its payment job
 * every 100 ms on `clock`, with `env` added to its configuration.
 */
export async function startWorkerWithProbeBank(options: {
  db: TestDatabase;
  redis: TestRedis;
  keys: EnvironmentKeyManagement;
  secretsKey: Buffer;
  connector: string;
  token: string;
  /** Called on each debit (initiatePayment) the probe bank makes: the answer to send instead of its result, or null. */
  faulty: () => FaultyAnswer | null;
  clock: () => Date;
  env?: Record<string, string>;
}): Promise<{ upstream: ConnectorServer; worker: RunningWorker }> {
  const upstream = await serveBankConnector(new SandboxLedgerConnector(options.db.dataSource, options.keys, options.connector), {
    token: options.token,
    faulty: (operation) => (operation === 'initiatePayment' ? options.faulty() : null),
  });
  const worker = await startWorker(
    workerTestConfig(options.db, options.redis, {
      SECRETS_KEY: options.secretsKey.toString('base64'),
      SCHEDULED_PAYMENT_INTERVAL_MS: '100',
      HTTP_BANK_CONNECTORS: `${options.connector}=${upstream.url}#${options.token}`,
      ...options.env,
    }),
    { clock: options.clock },
  );
  return { upstream, worker };
}
