import { recordAuditEvent } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import Provider, { KoaContextWithOIDC } from 'oidc-provider';

import { FAPI_INTERACTION_ID_HEADER } from '../fapi-interaction-id.js';
import { requestedIntentId } from './openbanking-intent.js';

const PENDING_AUDIT = Symbol('pendingTokenAudit');

type AuditedContext = KoaContextWithOIDC & { [PENDING_AUDIT]?: Promise<void> };

function recordTokenIssued(dataSource: DataSource, ctx: KoaContextWithOIDC): Promise<void> {
  const { entities, params, client } = ctx.oidc;
  const accessToken = entities.AccessToken ?? entities.ClientCredentials;
  const source = entities.AuthorizationCode ?? entities.RotatedRefreshToken ?? entities.RefreshToken;
  const consentId = source ? requestedIntentId(source.claims) : undefined;
  const psuId = entities.Account?.accountId;
  const issued = ['access_token', ...(entities.RefreshToken && entities.RefreshToken !== source ? ['refresh_token'] : []), ...(String(params?.scope ?? source?.scope ?? '').split(' ').includes('openid') ? ['id_token'] : [])];
  return dataSource.transaction(async (manager) => {
    await recordAuditEvent(manager, {
      type: 'token.issued',
      actor: { type: 'tpp', id: client!.clientId },
      clientId: client!.clientId,
      ...(psuId ? { psuId } : {}),
      ...(consentId ? { consentId } : {}),
      interactionId: ctx.response.get(FAPI_INTERACTION_ID_HEADER) || undefined,
      // What was issued, never a token value.
      data: {
        grantType: params?.grant_type,
        issued,
        scope: accessToken?.scope ?? null,
        audience: accessToken?.aud ?? null,
        senderConstraint: accessToken?.jkt ? 'dpop' : null,
      },
    });
  });
}

/**
 * Audits every token response (`token.issued`: grant type, client, PSU, consent) from oidc-provider's
 * `grant.success` event, in its own transaction. The write is awaited before the response leaves, so
 * no token reaches a TPP without its audit record; if the write fails, the TPP gets a server_error.
 */
export function auditTokenIssuance(provider: Provider, dataSource: DataSource, onError: (error: unknown, ctx: KoaContextWithOIDC) => void): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const pending = recordTokenIssued(dataSource, ctx);
    pending.catch(() => undefined); // awaited (and its failure handled) by the middleware below
    (ctx as AuditedContext)[PENDING_AUDIT] = pending;
  });
  provider.use(async (ctx, next) => {
    await next();
    const pending = (ctx as AuditedContext)[PENDING_AUDIT];
    if (!pending) return;
    try {
      await pending;
    } catch (error) {
      onError(error, ctx as KoaContextWithOIDC);
      ctx.status = 500;
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'server_error', error_description: 'the tokens could not be issued' };
    }
  });
}
