import { loadWorkerConfig, runOrExit } from '@consentry/config';
import { routeConsoleTo } from '@consentry/observability';

import { startWorker } from './worker.bootstrap.js';

// Past this, shutdown is stuck on a dependency that does not answer; exiting beats hanging until SIGKILL.
const SHUTDOWN_DEADLINE_MS = 20_000;

async function bootstrap(): Promise<void> {
  const config = loadWorkerConfig();
  const worker = await startWorker(config);
  routeConsoleTo(worker.logger);

  const shutdown = (signal: NodeJS.Signals) => {
    process.stderr.write(`worker: ${signal} received, shutting down\n`);
    setTimeout(() => {
      process.stderr.write(`worker: shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s, exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`worker: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // `once`: a second signal falls back to Node's default and ends the process at once.
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void runOrExit('worker', bootstrap);
