import { DataSource, TppEntity } from '@consentry/database';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import CustomStrategy from 'passport-custom';

import { AccessTokenVerifier } from './access-token.verifier.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TppPrincipal } from './tpp-principal.js';

export const TPP_STRATEGY = 'tpp';

/** Authenticates a TPP by its DPoP-bound access token; the TPP must still be Active (not suspended). */
@Injectable()
export class TppStrategy extends PassportStrategy(CustomStrategy, TPP_STRATEGY) {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly dataSource: DataSource,
  ) {
    super();
  }

  async validate(request: FastifyRequest): Promise<TppPrincipal> {
    const claims = await this.verifier.verify(request);
    // Read on every request: a suspension takes effect at once, whatever tokens the TPP still holds.
    const tpp = await this.dataSource.getRepository(TppEntity).findOne({ where: { clientId: claims.clientId }, select: { clientId: true, name: true, status: true } });
    if (!tpp || tpp.status !== 'Active') {
      throw new SecurityException(SecurityExceptionCode.TppNotActive, 'The client is not an active TPP', 'Authorization');
    }
    return { clientId: tpp.clientId, tppName: tpp.name, scopes: claims.scopes, consentId: claims.consentId, jkt: claims.jkt };
  }
}
