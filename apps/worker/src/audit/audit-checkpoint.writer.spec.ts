import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { WorkerConfig } from '@consentry/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadCheckpointSigningKey } from './audit-checkpoint.writer.js';

describe('loadCheckpointSigningKey', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'consentry-checkpoint-key-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('refuses a key file that is not JSON without quoting any of it', async () => {
    const file = join(dir, 'key.json');
    // Half a private JWK, as a truncated secret mount would leave it.
    await writeFile(file, '{"kty":"EC","crv":"P-256","d":"c2VjcmV0LXNjYWxhci1vZi10aGUta2V5');
    const config = { mode: 'production', auditCheckpointKeyFile: file } as unknown as WorkerConfig;
    const refused = await loadCheckpointSigningKey(config).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(`AUDIT_CHECKPOINT_KEY_FILE ${file} is not a JSON Web Key`);
    expect((refused as Error).message).not.toContain('c2VjcmV0');
  });
});
