import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadAuthServerConfig, StartupError } from '@consentry/config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { registerTppEnvironment } from './register-tpp.cli.js';

const EMBEDDED_URL = 'postgres://postgres:secret@127.0.0.1:54329/consentry';

// `npm run register-tpp -w @consentry/auth-server` runs in apps/auth-server, with the shell's environment:
// after a plain `npm start`, no DATABASE_URL and no CONSENTRY_DATA_DIR.
describe('npm run register-tpp: the environment it loads its configuration from', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'consentry-register-tpp-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  /** What `npm start` leaves in `<root>/<dataDir>`: the embedded PostgreSQL's state file. */
  async function embeddedPostgresIn(dataDir: string): Promise<void> {
    await mkdir(join(root, dataDir), { recursive: true });
    await writeFile(join(root, dataDir, 'embedded-postgres.json'), JSON.stringify({ port: 54329, password: 'secret', url: EMBEDDED_URL }));
  }

  it('uses the data directory and the embedded database of npm start, both found from the repository root', async () => {
    await embeddedPostgresIn('.data');
    const config = loadAuthServerConfig(await registerTppEnvironment({}, root));
    expect({ dataDir: config.dataDir, databaseUrl: config.databaseUrl }).toEqual({ dataDir: join(root, '.data'), databaseUrl: EMBEDDED_URL });
  });

  it('defaults the repository root to the one holding this app', async () => {
    const environment = await registerTppEnvironment({ DATABASE_URL: EMBEDDED_URL });
    expect(environment.CONSENTRY_DATA_DIR).toBe(fileURLToPath(new URL('../../../../.data', import.meta.url)));
  });

  it('reads a relative CONSENTRY_DATA_DIR from the repository root, and keeps an absolute one', async () => {
    await embeddedPostgresIn('sandbox-data');
    expect(await registerTppEnvironment({ CONSENTRY_DATA_DIR: 'sandbox-data' }, root)).toEqual({ CONSENTRY_DATA_DIR: join(root, 'sandbox-data'), DATABASE_URL: EMBEDDED_URL });
    const absolute = join(root, 'sandbox-data');
    expect((await registerTppEnvironment({ CONSENTRY_DATA_DIR: absolute }, '/elsewhere')).CONSENTRY_DATA_DIR).toBe(absolute);
  });

  it('keeps a DATABASE_URL that is set, with no embedded database', async () => {
    const environment = await registerTppEnvironment({ DATABASE_URL: 'postgres://consentry@db.internal:5432/consentry' }, root);
    expect(environment.DATABASE_URL).toBe('postgres://consentry@db.internal:5432/consentry');
  });

  it('says what to set when there is neither DATABASE_URL nor an embedded database', async () => {
    const refused = registerTppEnvironment({}, root);
    await expect(refused).rejects.toBeInstanceOf(StartupError);
    await expect(refused).rejects.toThrow(
      `DATABASE_URL is not set and ${join(root, '.data', 'embedded-postgres.json')} does not exist: set DATABASE_URL to the database the platform runs on, or start the platform with \`npm start\``,
    );
  });
});
