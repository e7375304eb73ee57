import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

/**
 * Whether the app is shutting down. Once draining, readiness answers 503 (the load balancer stops
 * sending new work) and every answer carries `Connection: close`, so no client keeps a connection the
 * server is about to close: its next request opens a new one, to another instance.
 */
export class DrainState {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  begin(): void {
    if (this.drainingSince !== undefined) return;
    this.drainingSince = Date.now();
    // Answers not written yet close their connection too (Node writes `Connection: close` for them).
    for (const response of this.open) if (!response.headersSent) response.shouldKeepAlive = false;
  }

  private readonly open = new Set<ServerResponse>();

  /** Adds `Connection: close` to every answer the server writes once draining (before any handler runs). */
  watch(server: Server): void {
    server.prependListener('request', (_request, response: ServerResponse) => {
      if (this.draining) {
        response.setHeader('connection', 'close');
        return;
      }
      this.open.add(response);
      response.once('close', () => this.open.delete(response));
    });
  }

  /**
   * Stops accepting connections and waits (at most `graceMs`) for the open ones to end, each after the
   * answer to the request on it. http's own `close()` would also close every connection with no request
   * in flight yet, and a client that has just connected would see ECONNRESET instead of its answer;
   * net's `close()` only stops listening. Whatever is still open after `graceMs` is left to the app's close.
   */
  async stopAccepting(server: Server, graceMs: number): Promise<void> {
    this.begin();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }
}

export interface ShutdownOptions {
  /** SHUTDOWN_DRAIN_MS: how long the app keeps serving, with readiness 503, before it stops accepting. */
  drainMs: number;
  /** SHUTDOWN_TIMEOUT_MS: past this the shutdown is stuck on a dependency; exit 1 rather than hang. */
  timeoutMs: number;
}

export interface Drainable {
  /** Readiness turns 503 and answers close their connections; the app still serves. */
  beginDrain(): void;
  /** Stops accepting, waits for the requests and jobs in flight, then closes Redis and PostgreSQL. */
  close(): Promise<void>;
}

/**
 * SIGTERM and SIGINT: drain, close, exit 0; exit 1 when closing fails or outlasts the timeout. A second
 * signal falls back to Node's default and ends the process at once.
 */
export function exitGracefullyOnSignals(app: string, running: Drainable, options: ShutdownOptions): void {
  const shutdown = (signal: NodeJS.Signals) => {
    process.stderr.write(`${app}: ${signal} received, draining for ${options.drainMs} ms, then closing\n`);
    setTimeout(() => {
      process.stderr.write(`${app}: shutdown took longer than ${options.timeoutMs} ms, exiting\n`);
      process.exit(1);
    }, options.timeoutMs).unref();
    running.beginDrain();
    new Promise((resolve) => setTimeout(resolve, options.drainMs))
      .then(() => running.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`${app}: error while closing: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
