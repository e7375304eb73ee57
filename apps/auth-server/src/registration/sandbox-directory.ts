import { join } from 'node:path';

import { AuthServerConfig, readOrCreateKeyFile, StartupError } from '@consentry/config';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';

import { publicJwks } from '../provider/jwt-introspection.js';
import { TrustedDirectory } from './software-statement.verifier.js';

/** The `iss` of statements the sandbox directory signs. */
export const SANDBOX_DIRECTORY_ISSUER = 'consentry-sandbox-directory';

/** Lifetime of a sandbox statement: long enough to register, short enough not to be kept around. */
const STATEMENT_TTL_SECONDS = 10 * 60;

export function sandboxDirectoryKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'sandbox-directory-jwks.json');
}

/** What a developer asks the sandbox directory to vouch for. */
export interface SandboxStatementRequest {
  softwareId: string;
  clientName: string;
  orgName?: string;
  /** The organisation in the directory (`org_id`). */
  orgId?: string;
  roles: string[];
  redirectUris: string[];
  jwks: { keys: JWK[] };
}

function assertSandbox(config: Pick<AuthServerConfig, 'mode'>): void {
  if (config.mode !== 'sandbox') {
    throw new StartupError('the sandbox directory exists in sandbox mode only: production trusts SOFTWARE_STATEMENT_JWKS_FILE');
  }
}

/**
 * A stand-in for a real directory (e.g. the OB Directory), for developers: an ES256 key generated once
 * under `<dataDir>/keys` (0600) that signs software statements. Refused in production mode.
 */
export class SandboxDirectory {
  private constructor(private readonly privateKey: JWK) {}

  static async open(config: Pick<AuthServerConfig, 'mode' | 'dataDir'>): Promise<SandboxDirectory> {
    assertSandbox(config);
    const path = sandboxDirectoryKeyPath(config.dataDir);
    const jwks = await readOrCreateKeyFile(
      path,
      async () => {
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        const jwk = await exportJWK(privateKey);
        return { keys: [{ ...jwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(jwk) }] };
      },
      (value) => {
        const key = (value as { keys?: JWK[] }).keys?.[0];
        if (!key?.d) throw new StartupError(`${path} is damaged: delete it and restart to generate a new sandbox directory key`);
        return { keys: [key] };
      },
    );
    return new SandboxDirectory(jwks.keys[0]!);
  }

  /** The directory as the authorization server trusts it. */
  get trusted(): TrustedDirectory {
    return { jwks: publicJwks({ keys: [this.privateKey] }), issuer: SANDBOX_DIRECTORY_ISSUER };
  }

  async sign(request: SandboxStatementRequest): Promise<string> {
    const key = await importJWK(this.privateKey, 'ES256');
    return new SignJWT({
      software_id: request.softwareId,
      software_client_name: request.clientName,
      ...(request.orgName ? { org_name: request.orgName } : {}),
      ...(request.orgId ? { org_id: request.orgId } : {}),
      software_roles: request.roles,
      software_redirect_uris: request.redirectUris,
      software_jwks: request.jwks,
    })
      .setProtectedHeader({ alg: 'ES256', kid: this.privateKey.kid!, typ: 'JWT' })
      .setIssuer(SANDBOX_DIRECTORY_ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${STATEMENT_TTL_SECONDS}s`)
      .setJti(crypto.randomUUID())
      .sign(key);
  }
}
