import swc from 'unplugin-swc';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Decorator metadata (Nest DI, class-validator) needs swc: esbuild emits none.
const plugins = [
  swc.vite({
    module: { type: 'es6' },
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
  }),
];
// Libs resolve to their TypeScript source, so no build is needed to test.
// Without `module`: that condition names bundler builds (@opentelemetry/api's ESM build has extensionless
// imports Node cannot load); the apps run on Node's own conditions, and so do the tests.
const conditions = ['@consentry/source', ...defaultServerConditions.filter((condition) => condition !== 'module')];
const resolve = { conditions };
const ssr = { resolve: { conditions } };

export default defineConfig({
  test: {
    projects: [
      {
        plugins,
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['libs/*/src/**/*.spec.ts', 'apps/*/src/**/*.spec.ts'],
          environment: 'node',
          // Many unit specs run their SQL on a database of their own: on 2 cores busy with the e2e files,
          // vitest's 5 s default timed one out (running-totals.spec.ts, 6 December 2026).
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins,
        resolve,
        ssr,
        test: {
          name: 'e2e',
          include: ['apps/*/e2e/**/*.e2e-spec.ts'],
          exclude: ['apps/*/e2e/fault-drills/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: true,
        },
      },
      {
        plugins,
        resolve,
        ssr,
        test: {
          // The attack suite (npm run test:security): the built apps as processes, attacked case by case.
          name: 'security',
          include: ['apps/security-e2e/e2e/**/*.security-spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: true,
        },
      },
      {
        plugins,
        resolve,
        ssr,
        test: {
          // Fault drills kill and restart servers on timers: they run last and one at a time, so the
          // rest of the suite does not starve the processes they are timing.
          name: 'fault-drills',
          include: ['apps/*/e2e/fault-drills/**/*.e2e-spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
    maxWorkers: 2,
  },
});
