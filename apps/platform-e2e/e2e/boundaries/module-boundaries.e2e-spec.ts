import { join } from 'node:path';

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

import { ROOT } from '../../../../scripts/platform.js';

const BOUNDARY_RULES = ['@nx/enforce-module-boundaries', 'no-restricted-imports'];

async function lint(file: string, code: string, rules = BOUNDARY_RULES): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && rules.includes(m.ruleId)).map((m) => m.message);
}

/** The lint step of `npm test` fails on each kind of boundary violation. */
describe('Nx module boundaries', () => {
  it('refuses an app importing another app', async () => {
    const messages = await lint('apps/api/src/violation.ts', `import { startWorker } from '@consentry/worker';\nexport const x = startWorker;\n`);
    expect(messages.length).toBeGreaterThan(0);
  });

  it('refuses a lib importing an app', async () => {
    const messages = await lint('libs/consents/src/violation.ts', `import '@consentry/api';\n`);
    expect(messages.length).toBeGreaterThan(0);
  });

  it("refuses a deep import past a lib's index", async () => {
    const messages = await lint(
      'apps/api/src/violation.ts',
      `import { PsuEntity } from '@consentry/database/src/entities/psu.entity.js';\nexport const x = PsuEntity;\n`,
    );
    expect(messages.length).toBeGreaterThan(0);
  });

  it.each([
    ['apps/api/src/violation.ts', '@consentry/testing', 'type:app'],
    ['apps/auth-server/src/violation.ts', '@consentry/sandbox', 'type:app'],
    ['libs/consents/src/violation.ts', '@consentry/testing', 'type:lib'],
    // A lib outside the sandbox's own dependencies: one inside them would close a cycle, reported instead.
    ['libs/risk/src/violation.ts', '@consentry/sandbox', 'type:lib'],
    ['libs/sandbox/src/violation.ts', '@consentry/testing', 'type:sandbox'],
  ])('refuses production code in %s importing %s', async (file, lib, tag) => {
    const messages = await lint(file, `import * as fixtures from '${lib}';\nexport const x = fixtures;\n`);
    expect(messages).toEqual([`A project tagged with "${tag}" can only depend on libs tagged with "type:lib"`]);
  });

  it.each([
    ['apps/api/src/security/fine.spec.ts', '@consentry/testing'],
    ['apps/auth-server/e2e/support/fine.ts', '@consentry/sandbox'],
    ['apps/worker/e2e/audit/fine.e2e-spec.ts', '@consentry/testing'],
    ['libs/consents/src/fine.spec.ts', '@consentry/testing'],
  ])('accepts the test file %s importing %s', async (file, lib) => {
    expect(await lint(file, `import * as fixtures from '${lib}';\nexport const x = fixtures;\n`)).toEqual([]);
  });

  it('refuses a lib test importing the sandbox (the graph would turn circular)', async () => {
    const messages = await lint('libs/banking/src/violation.spec.ts', `import { seedSandbox } from '@consentry/sandbox';\nexport const x = seedSandbox;\n`);
    expect(messages.length).toBeGreaterThan(0);
  });

  it('refuses any in a test, even behind an eslint-disable comment', async () => {
    const code = `// eslint-disable-next-line @typescript-eslint/no-explicit-any\nexport type Body = any;\n`;
    for (const file of ['apps/api/e2e/support/violation.ts', 'libs/audit/src/violation.spec.ts', 'apps/security-e2e/e2e/violation.security-spec.ts']) {
      expect(await lint(file, code, ['@typescript-eslint/no-explicit-any']), file).toEqual(['Unexpected any. Specify a different type.']);
    }
  });

  it('accepts an app importing a lib through its index', async () => {
    const messages = await lint('apps/api/src/fine.ts', `import { PsuEntity } from '@consentry/database';\nexport const x = PsuEntity;\n`);
    expect(messages).toEqual([]);
  });
});
