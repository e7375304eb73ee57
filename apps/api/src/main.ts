import 'reflect-metadata';

import { loadApiConfig, runOrExit } from '@consentry/config';
import { announceReady, exitGracefullyOnSignals, routeConsoleTo } from '@consentry/observability';

import { startApi } from './api.bootstrap.js';

await runOrExit('api', async () => {
  const config = loadApiConfig();
  const api = await startApi(config);
  routeConsoleTo(api.logger);
  api.logger.info(`listening on ${api.url} (public URL ${api.publicUrl}, ${config.mode} mode)`);
  exitGracefullyOnSignals('api', api, config.shutdown);
  announceReady();
});
