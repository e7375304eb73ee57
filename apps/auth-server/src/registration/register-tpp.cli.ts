import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadAuthServerConfig, runOrExit, StartupError } from '@consentry/config';

import { registerSandboxTpp } from './sandbox-registration.js';

const USAGE = `usage: npm run register-tpp -w @consentry/auth-server -- --name "My App" --redirect-uri https://my-app.localhost/callback [--roles AISP,PISP] [--software-id id]`;

/** The repository's root, four levels above this file in src/ and in dist/ alike (apps/auth-server/<src|dist>/registration). */
const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The environment the command loads its configuration from, resolved as `npm start` resolves it, whatever
 * directory it runs in (`npm run -w` runs it in apps/auth-server):
 * - CONSENTRY_DATA_DIR (`.data` by default), when relative, is read from the repository's root: the data
 *   directory of the running sandbox, whose directory key signs the statement. A data directory of
 *   apps/auth-server would get a key of its own, which the auth server does not trust.
 * - DATABASE_URL, when unset, is the embedded PostgreSQL's that `npm start` records in that data directory
 *   (as scripts/platform.js operatorDatabaseUrl finds it). The command itself registers over HTTP and
 *   writes no row; the configuration it shares with the auth server requires a database all the same.
 */
export async function registerTppEnvironment(env: Record<string, string | undefined>, root = REPOSITORY_ROOT): Promise<Record<string, string | undefined>> {
  const dataDir = resolve(root, env.CONSENTRY_DATA_DIR?.trim() || '.data');
  const databaseUrl = env.DATABASE_URL?.trim() || (await embeddedDatabaseUrl(dataDir));
  return { ...env, CONSENTRY_DATA_DIR: dataDir, DATABASE_URL: databaseUrl };
}

async function embeddedDatabaseUrl(dataDir: string): Promise<string> {
  const stateFile = join(dataDir, 'embedded-postgres.json');
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new StartupError(`cannot read ${stateFile}: ${(error as Error).message}`);
    throw new StartupError(`DATABASE_URL is not set and ${stateFile} does not exist: set DATABASE_URL to the database the platform runs on, or start the platform with \`npm start\``);
  }
  const state: unknown = JSON.parse(text);
  const url = typeof state === 'object' && state !== null && 'url' in state ? state.url : undefined;
  if (typeof url !== 'string') throw new StartupError(`DATABASE_URL is not set and ${stateFile} names no database: set DATABASE_URL, or start the platform with \`npm start\``);
  return url;
}

// Registers a TPP with the running sandbox auth server (AUTH_SERVER_URL), signed by the sandbox
// directory. Refused in production mode: production TPPs bring a statement from a real directory.
// Run only as a command: a test imports registerTppEnvironment without registering anything.
if (import.meta.main) {
  await runOrExit('register-tpp', async () => {
    const { values } = parseArgs({
      options: {
        name: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        roles: { type: 'string', default: 'AISP' },
        'software-id': { type: 'string' },
      },
    });
    if (!values.name || !values['redirect-uri']?.length) throw new StartupError(USAGE);
    const config = loadAuthServerConfig(await registerTppEnvironment(process.env));
    const tpp = await registerSandboxTpp(config, {
      name: values.name,
      roles: values.roles.split(',').map((role) => role.trim().toUpperCase()),
      redirectUris: values['redirect-uri'],
      ...(values['software-id'] ? { softwareId: values['software-id'] } : {}),
    });
    process.stdout.write(
      `registered "${tpp.client_name}" as client_id ${tpp.client_id} (roles ${tpp.software_roles.join(', ')})\n` +
        `credentials (private key, registration access token): ${tpp.file}\n` +
        `manage it at ${tpp.registration_client_uri} (RFC 7592, Authorization: Bearer <registration_access_token>)\n`,
    );
  });
}
