import 'reflect-metadata';

import { loadApiConfig, runOrExit } from '@consentry/config';
import { routeConsoleTo } from '@consentry/observability';

import { startApi } from './api.bootstrap.js';

await runOrExit('api', async () => {
  const config = loadApiConfig();
  const api = await startApi(config);
  routeConsoleTo(api.logger);
  api.logger.info(`listening on ${api.url} (public URL ${api.publicUrl}, ${config.mode} mode)`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`api: ${signal} received, closing\n`);
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`api: error while closing: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
});
