import { format } from 'node:util';

import type { Logger } from 'pino';

/**
 * Sends what libraries print with `console.*` (oidc-provider's notices and warnings, for one) through
 * the app's logger, so every line the process writes is in the log format and masked like the rest.
 * For an app's entry point only: it changes the process's console.
 */
export function routeConsoleTo(logger: Logger): void {
  const to = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => logger[level](format(...args));
  console.debug = to('debug');
  console.log = to('info');
  console.info = to('info');
  console.warn = to('warn');
  console.error = to('error');
}
