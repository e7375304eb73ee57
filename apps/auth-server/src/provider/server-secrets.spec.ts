import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { devSecretsPath, loadServerSecrets } from './server-secrets.js';

// deploy/kubernetes/secrets.yaml's stand-in for COOKIE_KEYS.
const PLACEHOLDER = 'REPLACE-ME-with-a-random-key-of-at-least-32-characters';
const KEY = 'c7Qx2Lw9Pz4Rm1Tn8Vb3Yc6Hd5Jf0GsC';

describe('loadServerSecrets', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-server-secrets-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it('signs with the first cookie key and derives the nonce and CSRF keys from it', async () => {
    const secrets = await loadServerSecrets({ cookieKeys: [KEY, `${KEY}-old`], dataDir, mode: 'production' });
    expect(secrets.cookieKeys).toEqual([KEY, `${KEY}-old`]);
    expect(secrets.dpopNonceSecret).toHaveLength(32);
    expect(secrets.interactionCsrfKey).toHaveLength(32);
    expect(secrets.dpopNonceSecret.equals(secrets.interactionCsrfKey)).toBe(false);
  });

  it.each(['sandbox', 'production'] as const)('refuses a cookie key under 32 characters anywhere in the list (%s), without quoting it', async (mode) => {
    const attempt = loadServerSecrets({ cookieKeys: [KEY, 'short-old-key'], dataDir, mode });
    await expect(attempt).rejects.toThrow('COOKIE_KEYS key 2 must be at least 32 characters long (every key, not only the first)');
    await expect(loadServerSecrets({ cookieKeys: [KEY, 'short-old-key'], dataDir, mode })).rejects.not.toThrow('short-old-key');
  });

  it('refuses the REPLACE-ME cookie key of deploy/kubernetes/secrets.yaml in production, saying to replace it', async () => {
    const attempt = loadServerSecrets({ cookieKeys: [PLACEHOLDER], dataDir, mode: 'production' });
    await expect(attempt).rejects.toThrow(
      'COOKIE_KEYS key 1 is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml: replace it with a random key (`openssl rand -base64 48`)',
    );
    await expect(loadServerSecrets({ cookieKeys: [PLACEHOLDER], dataDir, mode: 'production' })).rejects.not.toThrow(PLACEHOLDER);
    // The sandbox takes any key of the right length.
    expect((await loadServerSecrets({ cookieKeys: [PLACEHOLDER], dataDir, mode: 'sandbox' })).cookieKeys).toEqual([PLACEHOLDER]);
  });

  it('requires COOKIE_KEYS in production, and generates a key once under the data dir in the sandbox', async () => {
    await expect(loadServerSecrets({ cookieKeys: undefined, dataDir, mode: 'production' })).rejects.toThrow('COOKIE_KEYS is required in production mode');
    const first = await loadServerSecrets({ cookieKeys: undefined, dataDir, mode: 'sandbox' });
    expect(first.cookieKeys).toHaveLength(1);
    expect(first.cookieKeys[0]!.length).toBeGreaterThanOrEqual(32);
    expect((await loadServerSecrets({ cookieKeys: [], dataDir, mode: 'sandbox' })).cookieKeys).toEqual(first.cookieKeys);
    expect(JSON.parse(await readFile(devSecretsPath(dataDir), 'utf8'))).toEqual({ cookieKeys: first.cookieKeys });
  });
});
