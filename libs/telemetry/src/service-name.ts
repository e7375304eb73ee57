import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The app's service name: OTEL_SERVICE_NAME, else the name of the package whose entry is running
 * (`@consentry/api` → `api`), so `node --import … apps/<app>/dist/main.js` needs no more set-up.
 */
export function serviceNameOf(entry: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (env['OTEL_SERVICE_NAME']) return env['OTEL_SERVICE_NAME'];
  let dir = entry ? dirname(resolve(entry)) : process.cwd();
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { name } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string };
      if (name) return name.replace(/^@consentry\//, '');
    }
    const parent = dirname(dir);
    if (parent === dir) return 'consentry';
    dir = parent;
  }
}
