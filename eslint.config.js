import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Test files of every project: unit specs beside the code (and their *.spec-support.ts helpers), and everything under an e2e/ folder. */
const TEST_FILES = ['**/*.spec.ts', '**/*.spec-support.ts', '**/*.e2e-spec.ts', '**/*.security-spec.ts', '**/e2e/**/*.ts'];

// Which projects a project may import, by tags. `type:testing` (libs/testing: test databases, private
// PostgreSQL and Redis) and `type:sandbox` (libs/sandbox: demo data, well-known keys) are not `type:lib`,
// so production code may import neither. Seeding the sandbox for `npm start` is done by scripts/platform.js,
// outside every project, and refused in production mode.
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'] },
  { sourceTag: 'scope:auth', onlyDependOnLibsWithTags: ['scope:shared', 'scope:auth'] },
  { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:worker'] },
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
];
const productionConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:sandbox', onlyDependOnLibsWithTags: ['type:lib'] },
  // Whole-platform tests use libs (fixtures) and run the apps as processes, never import them.
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:testing', 'type:sandbox'] },
  ...scopeConstraints,
];
// Tests may also use the test fixtures; an app's tests may seed the sandbox. A lib's tests may not import
// the sandbox (it depends on banking, database, identity and config: the project graph would turn circular).
const testConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:testing', 'type:sandbox'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:sandbox', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:testing', 'type:sandbox'] },
  ...scopeConstraints,
];
// Nothing is bundled, so nothing is lazy-loaded: a test runner's dynamic import of a lib (the worker's
// fault drills load @consentry/config that way) is no reason to forbid static imports of it elsewhere.
const moduleBoundaries = (depConstraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], checkDynamicDependenciesExceptions: ['@consentry/*'], depConstraints },
];

// validator.js's isLength, behind class-validator's Length, MaxLength and MinLength, does not count U+FE0E
// and U+FE0F at all: 35 "a\uFE0F" passed a 35-character limit and broke the OB schema's maxLength. The OB
// schemas count code points; @consentry/validation's rules do too.
const lengthInCodePoints = {
  name: 'class-validator',
  importNames: ['Length', 'MaxLength', 'MinLength', 'length', 'maxLength', 'minLength'],
  message: "Use CodePointLength, MaxCodePoints or MinCodePoints from '@consentry/validation': limits count Unicode code points, as the OB schemas do.",
};

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.data/**', '**/test-output/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      // Apps import libs, libs never import apps, and nothing reaches past a lib's public index.ts.
      '@nx/enforce-module-boundaries': moduleBoundaries(productionConstraints),
      // A lib is used through its public index only (its package `exports` has no other entry point).
      'no-restricted-imports': [
        'error',
        { paths: [lengthInCodePoints], patterns: [{ group: ['@consentry/*/*'], message: "Import a lib through its index: '@consentry/<lib>'." }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: TEST_FILES,
    // Test code is code: no `any`, and no inline comment can switch a rule off in a test.
    linterOptions: { noInlineConfig: true },
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries(testConstraints),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests may also use a lib's test-only entry (`@consentry/banking/test-support`); production code may not.
      'no-restricted-imports': [
        'error',
        {
          paths: [lengthInCodePoints],
          patterns: [{ group: ['@consentry/*/*', '!@consentry/*/test-support'], message: "Import a lib through its index: '@consentry/<lib>'." }],
        },
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
          paths: [
            ...['@consentry/api', '@consentry/auth-server', '@consentry/worker'].map((name) => ({
              name,
              message: 'End-to-end tests run the apps as processes; they do not import them.',
            })),
            lengthInCodePoints,
          ],
          patterns: [{ group: ['@consentry/*/*'], message: "Import a lib through its index: '@consentry/<lib>'." }],
        },
      ],
    },
  },
];
