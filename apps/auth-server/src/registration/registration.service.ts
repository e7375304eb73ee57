import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { DataSource, EntityManager, TppRole } from '@consentry/database';
import { DeregisterTpp, DeregisterTppCommand, TppException } from '@consentry/tpps';
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { ClientMetadata, errors, SigningAlgorithm } from 'oidc-provider';

import { DATA_SOURCE } from '../auth-server.tokens.js';
import { OidcProviderRef } from '../provider/oidc-provider.ref.js';
import { REGISTRATION_PATH } from '../provider/provider.factory.js';
import { scopeOfRoles } from '../provider/tpp-roles.js';
import { RegistrationRequestVerifier } from './registration-request.verifier.js';
import { RegistrationException, RegistrationExceptionCode } from './registration.exception.js';
import { SoftwareStatement } from './software-statement.verifier.js';

/** A registered client as RFC 7591 section 3.2.1 returns it. */
export type RegistrationResponse = ClientMetadata & {
  client_id: string;
  client_id_issued_at: number;
  registration_client_uri: string;
  registration_access_token?: string;
  software_id: string;
  software_statement: string;
  software_roles: TppRole[];
};

const FAPI_ALGS = ['PS256', 'ES256'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

interface TppRow {
  client_id: string;
  name: string;
  roles: TppRole[];
  status: string;
  client_metadata: ClientMetadata & { client_id_issued_at?: number; software_statement?: string; software_id?: string };
}

function metadataError(description: string): RegistrationException {
  return new RegistrationException(RegistrationExceptionCode.InvalidClientMetadata, description);
}

/** The unique index of migration 1764650000000: one live registration per software_id. */
/** The `iat` of a statement the registration holds (verified when it was registered), or 0 when it has none. */
function issuedAtOf(statement: string): number {
  try {
    const iat = decodeJwt(statement).iat;
    return typeof iat === 'number' ? iat : 0;
  } catch {
    return 0;
  }
}

const SOFTWARE_ID_INDEX = 'tpp_software_id_live_uq';

function isSoftwareIdConflict(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string; constraint?: string } } | null)?.driverError;
  return driverError?.code === '23505' && driverError.constraint === SOFTWARE_ID_INDEX;
}

function optionalStrings(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw metadataError(`${field} must be an array of strings`);
  return value;
}

function oneOf(body: Record<string, unknown>, field: string, allowed: string[], fallback: string): string {
  const value = body[field] ?? fallback;
  if (typeof value !== 'string' || !allowed.includes(value)) throw metadataError(`${field} must be one of ${allowed.join(', ')}`);
  return value;
}

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592) for TPPs. The software statement
 * is the credential: the trusted directory vouches for the software's name, roles, redirect URIs and
 * keys, and its values win over the request's (RFC 7591 section 2.3). The rest of the metadata is held
 * to the FAPI 2.0 profile and validated by oidc-provider's own client schema before it is stored in the
 * `tpp` table (status Active). The request is a JWT signed with a key of the statement itself
 * (RegistrationRequestVerifier). Management requests carry the registration access token issued here.
 */
@Injectable()
export class RegistrationService {
  private readonly deregisterTpp: DeregisterTpp;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly oidc: OidcProviderRef,
    private readonly requests: RegistrationRequestVerifier,
  ) {
    this.deregisterTpp = new DeregisterTpp(dataSource);
  }

  async register(body: unknown, interactionId: string): Promise<RegistrationResponse> {
    const { metadata: request, statement } = await this.requests.verify(body, this.oidc.provider.issuer);
    const clientId = randomUUID();
    const issuedAt = Math.floor(Date.now() / 1000);
    const metadata = await this.clientMetadata(clientId, issuedAt, request, statement);

    const RegistrationAccessToken = this.oidc.provider.RegistrationAccessToken as unknown as new (payload: { clientId: string }) => InstanceType<typeof this.oidc.provider.RegistrationAccessToken>;
    const token = new RegistrationAccessToken({ clientId });
    const registrationAccessToken = await this.dataSource.transaction(async (manager) => {
      // One live registration per software: the unique index refuses a second, concurrent or not (below).
      await manager.query(`INSERT INTO tpp (client_id, name, roles, status, client_metadata) VALUES ($1, $2, $3, 'Active', $4)`, [
        clientId,
        statement.clientName,
        statement.roles,
        JSON.stringify(metadata),
      ]);
      await this.audit(manager, 'tpp.registered', clientId, interactionId, { action: 'registered', statement });
      // Saved before the commit: a registration never exists without its management token (an orphan
      // token of a failed commit names no client and opens nothing).
      return token.save();
    }).catch((error: unknown) => {
      if (isSoftwareIdConflict(error)) throw new RegistrationException(RegistrationExceptionCode.AlreadyRegistered, 'this software is already registered');
      throw error;
    });
    return this.response(metadata, statement.roles, registrationAccessToken);
  }

  async read(clientId: string, bearer: string | undefined): Promise<RegistrationResponse> {
    const tpp = await this.authorise(clientId, bearer);
    return this.response(tpp.client_metadata as RegistrationResponse, tpp.roles);
  }

  /** RFC 7592 section 2.2: the request replaces the registration; a fresh software statement is required. */
  async update(clientId: string, bearer: string | undefined, body: unknown, interactionId: string): Promise<RegistrationResponse> {
    const tpp = await this.authorise(clientId, bearer);
    const { metadata: request, statement } = await this.requests.verify(body, this.oidc.provider.issuer);
    if (request.client_id !== clientId) throw metadataError('client_id must be the registered client_id');
    for (const field of ['registration_access_token', 'registration_client_uri', 'client_id_issued_at', 'client_secret']) {
      if (request[field] !== undefined) throw metadataError(`the request must not include ${field}`);
    }
    if (statement.softwareId !== tpp.client_metadata.software_id) throw new RegistrationException(RegistrationExceptionCode.InvalidSoftwareStatement, 'software_statement names other software');
    const metadata = await this.clientMetadata(clientId, tpp.client_metadata.client_id_issued_at ?? Math.floor(Date.now() / 1000), request, statement);
    await this.dataSource.transaction(async (manager) => {
      // The row's lock, as the TPP lifecycle takes it (lockTppFor): suspended or deregistered since the
      // token check, the update is refused as the check itself would refuse it, never answered 200 and
      // audited unapplied (until 7 December 2026).
      const [locked]: Array<{ status: string; statement: string | null }> = await manager.query(
        `SELECT status, client_metadata->>'software_statement' AS statement FROM tpp WHERE client_id = $1 FOR UPDATE`,
        [clientId],
      );
      if (locked?.status !== 'Active') throw new RegistrationException(RegistrationExceptionCode.InvalidToken, locked?.status === 'Suspended' ? 'the client is suspended' : 'the client is not registered');
      // A rotation sticks: a statement issued before the one registered (still unexpired, and signed for
      // with its keys) would bring back the keys and roles the newer one took away. Until 7 December 2026
      // whoever held a withdrawn key and the registration access token could PUT the old statement back.
      if (locked.statement && statement.issuedAt < issuedAtOf(locked.statement)) {
        throw new RegistrationException(RegistrationExceptionCode.InvalidSoftwareStatement, 'software_statement was issued before the one registered');
      }
      await manager.query(`UPDATE tpp SET name = $2, roles = $3, client_metadata = $4 WHERE client_id = $1`, [clientId, statement.clientName, statement.roles, JSON.stringify(metadata)]);
      await this.audit(manager, 'tpp.updated', clientId, interactionId, { action: 'updated', statement });
    });
    return this.response(metadata, statement.roles);
  }

  /**
   * RFC 7592 section 2.3: deprovisions the client through the TPP lifecycle (libs/tpps `DeregisterTpp`):
   * its grants and tokens go at once; a TPP that holds consents keeps its row as `Deregistered`.
   */
  async remove(clientId: string, bearer: string | undefined, interactionId: string): Promise<void> {
    await this.authorise(clientId, bearer);
    try {
      await this.deregisterTpp.execute(new DeregisterTppCommand({ clientId, interactionId }));
    } catch (error) {
      // Suspended or deregistered between the token check and the lock: as the check itself would say.
      if (error instanceof TppException) throw new RegistrationException(RegistrationExceptionCode.InvalidToken, 'the client is not registered or is suspended');
      throw error;
    }
  }

  /**
   * The Active TPP the registration access token was issued for; anything else is invalid_token. Only a
   * client that no longer exists loses its token: a Suspended TPP is refused but keeps it, so it can
   * manage its registration again once an administrator reinstates it.
   */
  private async authorise(clientId: string, bearer: string | undefined): Promise<TppRow> {
    const invalidToken = (description: string) => new RegistrationException(RegistrationExceptionCode.InvalidToken, description);
    if (!bearer) throw invalidToken('a registration access token is required');
    const token = await this.oidc.provider.RegistrationAccessToken.find(bearer);
    if (!token || token.clientId !== clientId) throw invalidToken('the registration access token is not valid for this client');
    const rows: TppRow[] = await this.dataSource.query(`SELECT client_id, name, roles, status, client_metadata FROM tpp WHERE client_id = $1`, [clientId]);
    const tpp = rows[0];
    if (!tpp || tpp.status === 'Deregistered') {
      // RFC 7592 section 2: a client that no longer exists answers 401 and its token is revoked.
      await token.destroy();
      throw invalidToken('the client is not registered');
    }
    if (tpp.status !== 'Active') throw invalidToken('the client is suspended');
    return tpp;
  }

  private async clientMetadata(clientId: string, issuedAt: number, request: Record<string, unknown>, statement: SoftwareStatement): Promise<RegistrationResponse> {
    const redirectUris = optionalStrings(request, 'redirect_uris') ?? statement.redirectUris;
    if (redirectUris.length === 0) throw new RegistrationException(RegistrationExceptionCode.InvalidRedirectUri, 'redirect_uris must not be empty');
    const unlisted = redirectUris.find((uri) => !statement.redirectUris.includes(uri));
    if (unlisted !== undefined) throw new RegistrationException(RegistrationExceptionCode.InvalidRedirectUri, 'redirect_uris must be listed in the software statement');
    const grantTypes = optionalStrings(request, 'grant_types') ?? GRANT_TYPES;
    if (grantTypes.length === 0 || !grantTypes.every((g) => GRANT_TYPES.includes(g))) throw metadataError(`grant_types may hold only ${GRANT_TYPES.join(', ')}`);
    const responseTypes = optionalStrings(request, 'response_types') ?? ['code'];
    if (responseTypes.length !== 1 || responseTypes[0] !== 'code') throw metadataError('response_types must be ["code"]');

    const metadata: RegistrationResponse = {
      client_id: clientId,
      client_id_issued_at: issuedAt,
      registration_client_uri: this.clientUri(clientId),
      client_name: statement.clientName,
      redirect_uris: [...new Set(redirectUris)],
      grant_types: [...new Set(grantTypes)],
      response_types: ['code'],
      // FAPI 2.0 5.3.2.1 and 5.4.1: private_key_jwt with PS256 or ES256, nothing else.
      token_endpoint_auth_method: oneOf(request, 'token_endpoint_auth_method', ['private_key_jwt'], 'private_key_jwt') as 'private_key_jwt',
      token_endpoint_auth_signing_alg: oneOf(request, 'token_endpoint_auth_signing_alg', FAPI_ALGS, 'PS256') as SigningAlgorithm,
      id_token_signed_response_alg: oneOf(request, 'id_token_signed_response_alg', FAPI_ALGS, 'PS256') as SigningAlgorithm,
      scope: scopeOfRoles(statement.roles),
      ...(statement.jwks ? { jwks: statement.jwks } : { jwks_uri: statement.jwksUri }),
      software_id: statement.softwareId,
      // With software_id, the `iss` the TPP's message signatures must carry (UK OB: {org_id}/{software_id}).
      ...(statement.orgId ? { org_id: statement.orgId } : {}),
      software_statement: statement.jwt,
      software_roles: statement.roles,
    };
    try {
      await this.oidc.provider.Client.validate(metadata);
    } catch (error) {
      if (error instanceof errors.InvalidRedirectUri) throw new RegistrationException(RegistrationExceptionCode.InvalidRedirectUri, error.error_description ?? 'invalid redirect_uris');
      if (error instanceof errors.OIDCProviderError) throw metadataError(error.error_description ?? error.message);
      throw error;
    }
    return metadata;
  }

  private response(metadata: RegistrationResponse, roles: TppRole[], registrationAccessToken?: string): RegistrationResponse {
    return {
      ...metadata,
      registration_client_uri: this.clientUri(metadata.client_id),
      software_roles: roles,
      ...(registrationAccessToken ? { registration_access_token: registrationAccessToken } : {}),
    };
  }

  private clientUri(clientId: string): string {
    return `${this.oidc.provider.issuer}${REGISTRATION_PATH}/${encodeURIComponent(clientId)}`;
  }

  private audit(
    manager: EntityManager,
    type: 'tpp.registered' | 'tpp.updated',
    clientId: string,
    interactionId: string,
    details: { action: string; statement?: SoftwareStatement },
  ): Promise<unknown> {
    const { statement, ...rest } = details;
    return recordAuditEvent(manager, {
      type,
      actor: { type: 'tpp', id: clientId },
      clientId,
      interactionId,
      // Who vouched for what; never the registration access token.
      data: {
        ...rest,
        ...(statement ? { softwareId: statement.softwareId, directory: statement.issuer, roles: statement.roles, redirectUris: statement.redirectUris } : {}),
      },
    });
  }
}
