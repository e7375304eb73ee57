// Runs one worker process from source for the fault drills: configured by the environment like
// `main.ts`, it prints one `ready <port>` line when started and exits after a clean shutdown on SIGTERM.
// Start it as `node --conditions=@consentry/source worker-runner.mjs` so the libs load from source too.
import { register } from 'node:module';

register('./swc-loader.mjs', import.meta.url);

const { loadWorkerConfig } = await import('@consentry/config');
const { startWorker } = await import('../../../src/worker.bootstrap.ts');

const worker = await startWorker(loadWorkerConfig());
process.stdout.write(`ready ${worker.port}\n`);
process.once('SIGTERM', () => {
  worker.close().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`worker-runner: shutdown failed: ${error.message}\n`);
      process.exit(1);
    },
  );
});
