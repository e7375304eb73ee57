import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AuthServerConfig, SANDBOX_TRUST_ANCHOR } from '@consentry/config';
import { generateMessageSigningJwk, publicJwkOf, SANDBOX_ORGANISATION_ID, tppMessageIssuer, TppSigningProfile } from '@consentry/message-signing';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';

import { REGISTRATION_REQUEST_TYPES } from './registration-request.parser.js';
import { SandboxDirectory } from './sandbox-directory.js';

/** Lifetime of a registration request: it is sent at once. */
const REQUEST_TTL_SECONDS = 60;

/** What a TPP puts in its registration request (UK OB DCR): its metadata and the directory's statement. */
export interface RegistrationRequestClaims {
  /** The authorization server's issuer identifier: the request's `aud`. */
  issuer: string;
  softwareId: string;
  softwareStatement: string;
  /** Further client metadata (RFC 7591 section 2), e.g. `token_endpoint_auth_signing_alg`. */
  metadata?: Record<string, unknown>;
}

/**
 * Signs a registration request as a TPP does: a JWT with `iss` = the software id, `aud` = the issuer,
 * `iat`, `exp`, a fresh `jti` and the statement, signed with the TPP's private key (one whose public half
 * the statement's `software_jwks` holds; `kid` and `alg` are read from the JWK).
 */
export async function signRegistrationRequest(privateJwk: JWK, claims: RegistrationRequestClaims): Promise<string> {
  const alg = privateJwk.alg ?? 'ES256';
  return new SignJWT({ ...claims.metadata, software_statement: claims.softwareStatement })
    .setProtectedHeader({ alg, typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(claims.softwareId)
    .setAudience(claims.issuer)
    .setIssuedAt()
    .setExpirationTime(`${REQUEST_TTL_SECONDS}s`)
    .setJti(randomUUID())
    .sign(await importJWK(privateJwk, alg));
}

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
  /** The organisation the sandbox directory registered it under. */
  org_id: string;
  software_roles: string[];
  token_endpoint_auth_method: 'private_key_jwt';
  token_endpoint_auth_signing_alg: 'ES256';
  registration_access_token: string;
  registration_client_uri: string;
  /**
   * The TPP's private key set, written to the credentials file only: the ES256 key (first) authenticates
   * the client, the PS256 key named by `signing.kid` signs its requests (x-jws-signature).
   */
  jwks: { keys: JWK[] };
  /** The JOSE header values of its request signatures. */
  signing: TppSigningProfile;
  /** Where the credentials were written (mode 0600). */
  file: string;
}

/**
 * Registers a developer's TPP in one step, in sandbox mode: a fresh ES256 key (client authentication)
 * and a fresh PS256 key (message signing), a software statement
 * signed by the sandbox directory, RFC 7591 registration at the running auth server with a request
 * signed by that fresh key, and the credentials written to `<dataDir>/sandbox/tpps/<client_id>.json`.
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
  const signingJwk = await generateMessageSigningJwk();
  const statement = await directory.sign({
    softwareId,
    clientName: request.name,
    orgId: SANDBOX_ORGANISATION_ID,
    roles: request.roles,
    redirectUris: request.redirectUris,
    jwks: { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }, publicJwkOf(signingJwk)] },
  });

  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };

  // The issuer (the request's audience) and the endpoint as the server advertises them.
  const discovery = await fetch(`${config.authServerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (discovery.status !== 200) throw new Error(`the auth server at ${config.authServerUrl} did not answer discovery (${discovery.status})`);
  const { issuer, registration_endpoint: registrationEndpoint } = (await discovery.json()) as { issuer: string; registration_endpoint?: string };
  if (!registrationEndpoint) throw new Error(`the auth server at ${config.authServerUrl} has no registration endpoint`);
  const response = await fetch(registrationEndpoint, {
    method: 'POST',
    headers: { 'content-type': REGISTRATION_REQUEST_TYPES[0]! },
    body: await signRegistrationRequest(privateJwk, { issuer, softwareId, softwareStatement: statement, metadata: { token_endpoint_auth_signing_alg: 'ES256' } }),
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
    org_id: SANDBOX_ORGANISATION_ID,
    software_roles: body.software_roles as string[],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    registration_access_token: String(body.registration_access_token),
    registration_client_uri: String(body.registration_client_uri),
    jwks: { keys: [privateJwk, signingJwk] },
    signing: { kid: signingJwk.kid!, iss: tppMessageIssuer(SANDBOX_ORGANISATION_ID, softwareId), tan: SANDBOX_TRUST_ANCHOR },
    file,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(registered, null, 2)}\n`, { mode: 0o600 });
  return registered;
}
