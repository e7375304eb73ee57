import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AuthServerConfig } from '@consentry/config';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, JWK } from 'jose';

import { SandboxDirectory } from './sandbox-directory.js';

export interface SandboxRegistrationRequest {
  name: string;
  roles: string[];
  redirectUris: string[];
  softwareId?: string;
}

/** What a developer's TPP needs to run: its client_id, private key and management token. */
export interface RegisteredSandboxTpp {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  software_id: string;
  software_roles: string[];
  token_endpoint_auth_method: 'private_key_jwt';
  token_endpoint_auth_signing_alg: 'ES256';
  registration_access_token: string;
  registration_client_uri: string;
  /** The TPP's private signing key set: written to the credentials file only. */
  jwks: { keys: JWK[] };
  /** Where the credentials were written (mode 0600). */
  file: string;
}

/**
 * Registers a developer's TPP in one step, in sandbox mode: a fresh ES256 key, a software statement
 * signed by the sandbox directory, RFC 7591 registration at the running auth server, and the
 * credentials written to `<dataDir>/sandbox/tpps/<client_id>.json`.
 */
export async function registerSandboxTpp(
  config: Pick<AuthServerConfig, 'mode' | 'dataDir' | 'authServerUrl'>,
  request: SandboxRegistrationRequest,
): Promise<RegisteredSandboxTpp> {
  const directory = await SandboxDirectory.open(config);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const softwareId = request.softwareId ?? randomUUID();
  const statement = await directory.sign({
    softwareId,
    clientName: request.name,
    roles: request.roles,
    redirectUris: request.redirectUris,
    jwks: { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] },
  });

  const response = await fetch(`${config.authServerUrl}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ software_statement: statement, token_endpoint_auth_signing_alg: 'ES256' }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) {
    throw new Error(`registration refused (${response.status}): ${String(body.error)}: ${String(body.error_description)}`);
  }
  const clientId = String(body.client_id);
  const dir = join(config.dataDir, 'sandbox', 'tpps');
  const file = join(dir, `${clientId}.json`);
  const registered: RegisteredSandboxTpp = {
    client_id: clientId,
    client_name: String(body.client_name),
    redirect_uris: body.redirect_uris as string[],
    software_id: softwareId,
    software_roles: body.software_roles as string[],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    registration_access_token: String(body.registration_access_token),
    registration_client_uri: String(body.registration_client_uri),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' }] },
    file,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(registered, null, 2)}\n`, { mode: 0o600 });
  return registered;
}
