import { ConfigError } from './config.error.js';

/**
 * Runs an app's bootstrap. A configuration problem or an unreachable dependency ends the process
 * with one readable line instead of a stack trace.
 */
export async function runOrExit(appName: string, bootstrap: () => Promise<void>): Promise<void> {
  try {
    await bootstrap();
  } catch (error) {
    const message =
      error instanceof ConfigError
        ? `invalid configuration: ${error.message}`
        : error instanceof StartupError
          ? error.message
          : `failed to start: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${appName}: ${message}\n`);
    process.exit(1);
  }
}

/** A dependency the app cannot start without (a database, Redis), with how to fix it. */
export class StartupError extends Error {
  override name = 'StartupError';
}
