import { loadAuthServerConfig, runOrExit } from '@consentry/config';
import { announceReady, exitGracefullyOnSignals, routeConsoleTo } from '@consentry/observability';

import { startAuthServer } from './auth-server.bootstrap.js';

await runOrExit('auth-server', async () => {
  const config = loadAuthServerConfig();
  const server = await startAuthServer(config);
  routeConsoleTo(server.logger);
  server.logger.info(`listening on ${server.url} (issuer ${server.url})`);
  exitGracefullyOnSignals('auth-server', server, config.shutdown);
  announceReady();
});
