import { ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('./worker-runner.mjs', import.meta.url));

/** A worker running in a child process of its own, so a drill can kill -9 it. */
export interface WorkerProcess {
  pid: number;
  port: number;
  /** Everything it wrote to stderr and stdout so far (for assertions and failure messages). */
  output(): string;
  /** SIGKILL: no shutdown hook runs, transactions in flight die with their connections. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the graceful shutdown; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Starts a worker process with `env` on top of this one's environment and waits for it to be ready. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@consentry/source', RUNNER], {
    env: { ...process.env, LOG_LEVEL: 'warn', ALERT_EMAIL: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = () => {
      const match = /^ready (\d+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready:\n${output}`));
    });
  });

  return {
    pid: child.pid!,
    port,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
