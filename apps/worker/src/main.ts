import { loadWorkerConfig, runOrExit } from '@consentry/config';
import { announceReady, exitGracefullyOnSignals, routeConsoleTo } from '@consentry/observability';

import { startWorker } from './worker.bootstrap.js';

async function bootstrap(): Promise<void> {
  const config = loadWorkerConfig();
  const worker = await startWorker(config);
  routeConsoleTo(worker.logger);
  // Drain: readiness 503, then close: BullMQ waits for the jobs in progress, so their transactions commit.
  exitGracefullyOnSignals('worker', worker, config.shutdown);
  announceReady();
}

void runOrExit('worker', bootstrap);
