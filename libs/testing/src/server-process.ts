import { ChildProcess } from 'node:child_process';

/** Resolves when the process has exited (at once if it already has). */
export function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Retries `probe` until it succeeds; gives up with `describeFailure` when the server process exits or
 * `timeoutMs` passes.
 */
export async function waitUntilAnswering(
  server: ChildProcess,
  probe: () => Promise<void>,
  options: { timeoutMs: number; intervalMs: number; describeFailure: (error: Error) => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(options.describeFailure(error as Error));
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  }
}
