import { loadAuthServerConfig, runOrExit } from '@consentry/config';
import { routeConsoleTo } from '@consentry/observability';

import { startAuthServer } from './auth-server.bootstrap.js';

await runOrExit('auth-server', async () => {
  const server = await startAuthServer(loadAuthServerConfig());
  routeConsoleTo(server.logger);
  server.logger.info(`listening on ${server.url} (issuer ${server.url})`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void server.close().finally(() => process.exit(0));
    });
  }
});
