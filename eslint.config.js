import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.data/**', '**/test-output/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      // Apps import libs, libs never import apps, and nothing reaches past a lib's public index.ts.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'] },
            { sourceTag: 'scope:auth', onlyDependOnLibsWithTags: ['scope:shared', 'scope:auth'] },
            { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:worker'] },
            // Whole-platform tests use libs (fixtures) and run the apps as processes, never import them.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      // A lib is used through its public index only (its package `exports` has no other entry point).
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@consentry/*/*'], message: "Import a lib through its index: '@consentry/<lib>'." }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests may also use a lib's test-only entry (`@consentry/banking/test-support`); production code may not.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@consentry/*/*', '!@consentry/*/test-support'], message: "Import a lib through its index: '@consentry/<lib>'." }] },
      ],
    },
  },
  {
    // The platform's end-to-end tests drive it with the same launcher and journey scripts as `npm start`
    // and `npm run demo` (plain JS under scripts/, outside any project), and run the apps as processes:
    // they may import libs but never an app.
    files: ['apps/platform-e2e/**/*.ts', 'apps/security-e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': 'off',
      'no-restricted-imports': [
        'error',
        {
          paths: ['@consentry/api', '@consentry/auth-server', '@consentry/worker'].map((name) => ({
            name,
            message: 'End-to-end tests run the apps as processes; they do not import them.',
          })),
          patterns: [{ group: ['@consentry/*/*'], message: "Import a lib through its index: '@consentry/<lib>'." }],
        },
      ],
    },
  },
];
