import { AuditEvent, AuditEventInput, buildAuditEvent, recordAuditEvents } from '@consentry/audit';
import { consentsOfGrants, EndConsentOfRevokedGrant, GrantRevocationTrigger } from '@consentry/consents';
import { AuditOutboxEntity, DataSource } from '@consentry/database';
import { rolesForScope } from '@consentry/tpps';
import Provider, { KoaContextWithOIDC } from 'oidc-provider';

import { FAPI_INTERACTION_ID_HEADER } from '../fapi-interaction-id.js';
import { requestedIntentId } from './openbanking-intent.js';

const PENDING_AUDIT = Symbol('pendingTokenAudit');
const REVOKED_GRANTS = Symbol('revokedGrants');
const REVOKED_JWT = Symbol('revokedJwtAccessToken');

type AuditedContext = KoaContextWithOIDC & {
  [PENDING_AUDIT]?: Promise<Issuance>;
  [REVOKED_GRANTS]?: string[];
  [REVOKED_JWT]?: { consentId?: string };
};

/** A JWT access token was revoked on its own (its jti): audited as `token.revoked` with its consent. */
export function noteAccessTokenRevoked(ctx: KoaContextWithOIDC, consentId: string | undefined): void {
  (ctx as AuditedContext)[REVOKED_JWT] = { ...(consentId ? { consentId } : {}) };
}

/** Token kinds the revocation endpoint destroys (RFC 7009); their values never reach the audit log. */
const REVOCABLE_KINDS = ['RefreshToken', 'AccessToken', 'ClientCredentials'] as const;

function interactionIdOf(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.response.get(FAPI_INTERACTION_ID_HEADER) || undefined;
}

function tokenIssuedEvent(ctx: KoaContextWithOIDC): AuditEventInput {
  const { entities, params, client } = ctx.oidc;
  const accessToken = entities.AccessToken ?? entities.ClientCredentials;
  const source = entities.AuthorizationCode ?? entities.RotatedRefreshToken ?? entities.RefreshToken;
  const consentId = source ? requestedIntentId(source.claims) : undefined;
  const psuId = entities.Account?.accountId;
  const issued = [
    'access_token',
    ...(entities.RefreshToken && entities.RefreshToken !== source ? ['refresh_token'] : []),
    ...(String(params?.scope ?? source?.scope ?? '').split(' ').includes('openid') ? ['id_token'] : []),
  ];
  return {
    type: 'token.issued',
    actor: { type: 'tpp', id: client!.clientId },
    clientId: client!.clientId,
    ...(psuId ? { psuId } : {}),
    ...(consentId ? { consentId } : {}),
    interactionId: interactionIdOf(ctx),
    // What was issued, never a token value.
    data: {
      grantType: params?.grant_type,
      issued,
      scope: accessToken?.scope ?? null,
      audience: accessToken?.aud ?? null,
      senderConstraint: accessToken?.jkt ? 'dpop' : null,
    },
  };
}

const MAX_ISSUANCE_BATCH = 200;

/** What the issuance check found: recorded (the tokens may leave), or why nothing was. */
type Issuance = 'recorded' | 'tpp-not-active' | 'role-not-held';

/**
 * Writes `token.issued` events in autocommitted statements that also re-check each TPP: an event is
 * inserted only while its TPP is Active and holds the role of every OB scope of the token (a refresh
 * after the register withdrew a role would otherwise carry the old grant's scope on). The client
 * metadata may come from memory (tpp-client.cache.ts); this is the authoritative check, at the last
 * moment before any token leaves. Events of concurrent token requests share a statement (one commit, one
 * WAL flush): while one insert is in flight, the next events queue for the following one, so a lone
 * request waits for nobody.
 */
class TokenIssuanceRecorder {
  private queue: Array<{ event: AuditEvent; roles: string; settle: (issuance: Issuance) => void; fail: (error: unknown) => void }> = [];
  private flushing = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Resolves to what was found: anything but `recorded` means nothing was recorded, and nothing must be sent. */
  record(ctx: KoaContextWithOIDC): Promise<Issuance> {
    const input = tokenIssuedEvent(ctx);
    const event = buildAuditEvent(input);
    const roles = rolesForScope(String(input.data?.scope ?? '')).join(',');
    return new Promise((settle, fail) => {
      this.queue.push({ event, roles, settle, fail });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_ISSUANCE_BATCH);
      try {
        const outbox = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
        // Which were recorded is read from what was inserted, not RETURNed: the auth server's database role
        // adds to the outbox and may not read it (docs/deployment.md#the-database-roles).
        const rows: Array<{ event_id: string; active: boolean; entitled: boolean }> = await this.dataSource.query(
          `WITH checked AS (
             SELECT e.event_id, e.event, coalesce(tpp.status = 'Active', false) AS active,
                    coalesce(tpp.roles @> string_to_array(e.roles, ','), false) AS entitled
               FROM unnest($1::uuid[], $2::jsonb[], $3::text[], $4::text[]) AS e(event_id, event, client_id, roles)
               LEFT JOIN tpp ON tpp.client_id = e.client_id),
           recorded AS (INSERT INTO ${outbox} (event_id, event) SELECT event_id, event FROM checked WHERE active AND entitled)
           SELECT event_id, active, entitled FROM checked`,
          [batch.map((b) => b.event.eventId), batch.map((b) => JSON.stringify(b.event)), batch.map((b) => b.event.clientId), batch.map((b) => b.roles)],
        );
        const found = new Map(rows.map((row) => [row.event_id, row]));
        for (const item of batch) {
          const row = found.get(item.event.eventId);
          item.settle(!row?.active ? 'tpp-not-active' : !row.entitled ? 'role-not-held' : 'recorded');
        }
      } catch (error) {
        for (const item of batch) item.fail(error);
      }
    }
    this.flushing = false;
  }
}

function grantRevocationTrigger(ctx: KoaContextWithOIDC): GrantRevocationTrigger {
  const { route, params, entities } = ctx.oidc;
  if (route === 'token' && params?.grant_type === 'authorization_code') return 'authorization_code_replayed';
  if (route === 'token' && params?.grant_type === 'refresh_token') return 'refresh_token_replayed';
  return entities.RefreshToken ? 'refresh_token_revoked' : 'access_token_revoked';
}

function revocationTrigger(ctx: KoaContextWithOIDC): string {
  const { route, params } = ctx.oidc;
  if (route === 'revocation') return 'revocation_endpoint';
  if (route === 'token' && params?.grant_type === 'authorization_code') return 'authorization_code_replayed';
  if (route === 'token' && params?.grant_type === 'refresh_token') return 'refresh_token_replayed';
  return route;
}

/**
 * `token.revoked` for what this request revoked: the token a client revoked at the revocation endpoint,
 * and every grant oidc-provider revoked (a replayed code or refresh token revokes all it issued). The
 * consent and PSU come from the consent the grant was saved for. Never a token value or `jti`.
 */
async function recordTokensRevoked(dataSource: DataSource, ctx: KoaContextWithOIDC, grantIds: string[]): Promise<void> {
  const { client, entities } = ctx.oidc;
  const clientId = client?.clientId;
  const actor = clientId ? { type: 'tpp' as const, id: clientId } : { type: 'system' as const, id: 'auth-server' };
  const trigger = revocationTrigger(ctx);
  const kind = REVOCABLE_KINDS.find((k) => entities[k] !== undefined);
  const consents = await consentsOfGrants(dataSource, grantIds);
  const base = { type: 'token.revoked' as const, actor, ...(clientId ? { clientId } : {}), interactionId: interactionIdOf(ctx) };
  const events: AuditEventInput[] = grantIds.map((grantId) => {
    const consent = consents.find((c) => c.grantId === grantId);
    return {
      ...base,
      ...(consent ? { consentId: consent.consentId, ...(consent.psuId ? { psuId: consent.psuId } : {}) } : {}),
      data: { trigger, ...(kind ? { kind } : {}), grantRevoked: true },
    };
  });
  const revokedJwt = (ctx as AuditedContext)[REVOKED_JWT];
  if (events.length === 0 && revokedJwt) {
    events.push({ ...base, ...(revokedJwt.consentId ? { consentId: revokedJwt.consentId } : {}), data: { trigger, kind: 'AccessToken', grantRevoked: false } });
  } else if (events.length === 0 && kind) {
    // An access token revoked on its own (its grant stays): name the consent from its claims if it has one.
    const token = entities[kind] as { claims?: unknown } | undefined;
    const consentId = token?.claims ? requestedIntentId(token.claims as never) : undefined;
    events.push({ ...base, ...(consentId ? { consentId } : {}), data: { trigger, kind, grantRevoked: false } });
  }
  await recordAuditEvents(dataSource.manager, events);
}

/**
 * Audits token responses and revocations from oidc-provider's events.
 *
 * `token.issued` (grant type, client, PSU, consent; never a token value) on `grant.success`: the write is
 * awaited before the response leaves, so no token reaches a TPP without its audit record; if the write
 * fails the TPP gets server_error, and if the TPP was suspended meanwhile it gets invalid_client.
 *
 * `token.revoked` after a successful RFC 7009 revocation and whenever a grant is revoked (`grant.revoked`).
 * A failure to record a revocation is logged as a server error; the revocation itself stands.
 */
export function auditTokenEvents(provider: Provider, dataSource: DataSource, onError: (error: unknown, ctx: KoaContextWithOIDC) => void): void {
  const issuance = new TokenIssuanceRecorder(dataSource);
  const endConsent = new EndConsentOfRevokedGrant(dataSource);
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const pending = issuance.record(ctx);
    pending.catch(() => undefined); // awaited (and its failure handled) by the middleware below
    (ctx as AuditedContext)[PENDING_AUDIT] = pending;
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const audited = ctx as AuditedContext;
    (audited[REVOKED_GRANTS] ??= []).push(grantId);
  });
  provider.use(async (ctx, next) => {
    await next();
    const audited = ctx as AuditedContext;
    const pending = audited[PENDING_AUDIT];
    if (pending) {
      let issuance: Issuance;
      try {
        issuance = await pending;
      } catch (error) {
        onError(error, audited);
        ctx.status = 500;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'server_error', error_description: 'the tokens could not be issued' };
        return;
      }
      if (issuance === 'tpp-not-active') {
        // Suspended or deregistered between client authentication and issuance: as if it were unknown.
        ctx.status = 401;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
        return;
      }
      if (issuance === 'role-not-held') {
        // The register took a role away since the grant (a refresh, a code issued before): its scope is no longer the TPP's.
        ctx.status = 400;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'invalid_scope', error_description: 'the client no longer holds the PSD2 role of the requested scope' };
        return;
      }
    }
    const grantIds = audited[REVOKED_GRANTS] ?? [];
    const revokedAtEndpoint =
      audited.oidc?.route === 'revocation' && ctx.status === 200 && (REVOCABLE_KINDS.some((k) => audited.oidc.entities[k]) || audited[REVOKED_JWT] !== undefined);
    if (grantIds.length === 0 && !revokedAtEndpoint) return;
    try {
      await recordTokensRevoked(dataSource, audited, grantIds);
      // A grant revoked under a consent ends the consent: the PSU's dashboard, introspection and the
      // API then agree that it is over.
      const trigger = grantRevocationTrigger(audited);
      for (const grantId of grantIds) {
        await endConsent.execute({ grantId, trigger, clientId: audited.oidc?.client?.clientId, interactionId: interactionIdOf(audited) });
      }
    } catch (error) {
      onError(error, audited);
    }
  });
}
