import { readFile } from 'node:fs/promises';

import { AuthServerConfig, StartupError } from '@consentry/config';
import { JWK } from 'jose';

import { SandboxDirectory } from './sandbox-directory.js';
import { TrustedDirectory } from './software-statement.verifier.js';

/** Reads a public JWKS file (a directory's or the API's keys); private members are refused. */
export async function readPublicJwksFile(path: string, variable: string): Promise<{ keys: JWK[] }> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new StartupError(`cannot read ${variable} ${path} (${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message})`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new StartupError(`${variable} holds no "keys" array: expected a public JSON Web Key Set`);
  if (keys.some((key: Record<string, unknown>) => typeof key?.kty !== 'string' || 'd' in key || 'k' in key)) {
    throw new StartupError(`${variable} must hold public keys only`);
  }
  return { keys: keys as JWK[] };
}

/**
 * The directory whose software statements registration trusts: SOFTWARE_STATEMENT_JWKS_FILE (with
 * SOFTWARE_STATEMENT_ISSUER pinning its `iss`), else in sandbox mode the sandbox directory. In
 * production without the file there is none, and dynamic registration is off.
 */
export async function loadTrustedDirectory(
  config: Pick<AuthServerConfig, 'mode' | 'dataDir' | 'softwareStatementJwksFile' | 'softwareStatementIssuer'>,
): Promise<TrustedDirectory | undefined> {
  if (config.softwareStatementJwksFile) {
    const jwks = await readPublicJwksFile(config.softwareStatementJwksFile, 'SOFTWARE_STATEMENT_JWKS_FILE');
    return { jwks, ...(config.softwareStatementIssuer ? { issuer: config.softwareStatementIssuer } : {}) };
  }
  if (config.mode !== 'sandbox') return undefined;
  return (await SandboxDirectory.open(config)).trusted;
}
