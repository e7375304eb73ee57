// What the benches that run the worker share: the worker as a child process from its build, waiting on a
// condition, and percentiles of a sorted list.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { ROOT, TELEMETRY_REGISTER } from '../../scripts/platform.js';

const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/dist/main.js', import.meta.url));

export function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The worker from its build with `env` (WORKER_PORT required); `ready` resolves once /health answers. */
export function startWorkerProcess(env) {
  // As every app starts (scripts/platform.js): tracing only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  // WORKER_NODE_ARGS passes flags to the worker's process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', TELEMETRY_REGISTER, WORKER_MAIN], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let exitCode;
  exited.then((code) => (exitCode = code));
  // Ready when /health answers (LOG_LEVEL=warn keeps the start-up line quiet).
  const ready = waitFor(
    async () => {
      if (exitCode !== undefined) throw new Error(`worker exited with ${exitCode}:\n${output}`);
      return fetch(`http://127.0.0.1:${env.WORKER_PORT}/health`).then(
        (response) => response.status === 200,
        () => false,
      );
    },
    30_000,
    'the worker to start',
  );
  return {
    ready,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
