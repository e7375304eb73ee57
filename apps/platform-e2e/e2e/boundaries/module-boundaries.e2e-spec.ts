import { join } from 'node:path';

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

import { ROOT } from '../../../../scripts/platform.js';

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports').map((m) => m.message);
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

  it('accepts an app importing a lib through its index', async () => {
    const messages = await lint('apps/api/src/fine.ts', `import { PsuEntity } from '@consentry/database';\nexport const x = PsuEntity;\n`);
    expect(messages).toEqual([]);
  });
});
