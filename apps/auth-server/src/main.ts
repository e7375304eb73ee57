import { loadAuthServerConfig, runOrExit } from '@consentry/config';

import { startAuthServer } from './auth-server.bootstrap.js';

await runOrExit('auth-server', async () => {
  const server = await startAuthServer(loadAuthServerConfig());
  process.stdout.write(`auth-server: listening on ${server.url} (issuer ${server.url})\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void server.close().finally(() => process.exit(0));
    });
  }
});
