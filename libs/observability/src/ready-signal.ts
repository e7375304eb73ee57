/** The message an app sends its supervisor over the IPC channel once it listens and is ready. */
export const READY_MESSAGE = 'consentry:ready';

/**
 * Tells a supervisor that spawned this process with an IPC channel (scripts/platform.js, PM2's
 * `wait_ready`) that this very process now listens. A health check alone cannot: when another
 * process took the port first, its answer would pass for ours. Without an IPC channel this does nothing.
 */
export function announceReady(): void {
  process.send?.(READY_MESSAGE);
}
