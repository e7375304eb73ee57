import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { CryptoKey, exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';

export interface AccessTokenOptions {
  clientId: string;
  audience: string;
  jkt: string;
  scope?: string;
  consentId?: string;
  /** The grant the token names (consent-bound tokens); the API compares it with the consent's. */
  grantId?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Sign with a key the issuer does not publish. */
  foreignKey?: boolean;
  /** Sign with this key under this kid (one the issuer does not publish, e.g. the API's message-signing key). */
  signWith?: { key: CryptoKey; kid: string };
  /** Which of the issuer's keys signs (PS256 by default, as the authorization server's tokens are). */
  alg?: IssuerAlgorithm;
}

/**
 * The algorithms the authorization server may sign access tokens with: a key of each is in its signing
 * set (apps/auth-server/src/provider/signing-keys.ts, FAPI 2.0's PS256 and ES256), so the stand-in
 * publishes one of each, sized as the real ones are.
 */
export const ISSUER_ALGORITHMS = ['PS256', 'ES256'] as const;
export type IssuerAlgorithm = (typeof ISSUER_ALGORITHMS)[number];

interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * A stand-in for the authorization server in API tests: serves discovery and JWKS for a PS256 and an ES256 key and
 * mints JWT access tokens the way oidc-provider will (typ at+jwt, iss, aud = API URL, client_id, scope,
 * openbanking_intent_id, cnf.jkt, 300 s).
 */
export class LocalIssuer {
  private server!: Server;
  private keys!: Record<IssuerAlgorithm, IssuerKey>;
  private foreignKey!: CryptoKey;
  /** The kid of the PS256 key (the default signer). */
  readonly kid = `issuer-${randomUUID()}`;
  url = '';
  discoveryHits = 0;
  jwksHits = 0;

  static async start(): Promise<LocalIssuer> {
    const issuer = new LocalIssuer();
    await issuer.listen();
    return issuer;
  }

  private async listen(): Promise<void> {
    const keyOf = async (alg: IssuerAlgorithm, kid: string): Promise<IssuerKey> => {
      const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'PS256' ? { modulusLength: 3072 } : {}) });
      return { kid, privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
    };
    this.keys = { PS256: await keyOf('PS256', this.kid), ES256: await keyOf('ES256', `issuer-es-${randomUUID()}`) };
    this.foreignKey = (await generateKeyPair('PS256')).privateKey;
    this.server = createServer((request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.url === '/.well-known/openid-configuration') {
        this.discoveryHits++;
        return send(200, {
          issuer: this.url,
          jwks_uri: `${this.url}/jwks`,
          token_endpoint: `${this.url}/token`,
          authorization_endpoint: `${this.url}/auth`,
          dpop_signing_alg_values_supported: ['ES256', 'PS256'],
        });
      }
      if (request.url === '/jwks') {
        this.jwksHits++;
        return send(200, { keys: ISSUER_ALGORITHMS.map((alg) => this.keys[alg].publicJwk) });
      }
      return send(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async mintAccessToken(options: AccessTokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      client_id: options.clientId,
      scope: options.scope ?? 'accounts',
      cnf: { jkt: options.jkt },
    };
    if (options.consentId) claims.openbanking_intent_id = options.consentId;
    if (options.grantId) claims.grant_id = options.grantId;
    const signer = this.keys[options.alg ?? 'PS256'];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? 'PS256', typ: 'at+jwt', kid: options.signWith?.kid ?? signer.kid })
      .setIssuer(this.url)
      .setAudience(options.audience)
      .setSubject(options.consentId ? `psu-of-${options.consentId}` : options.clientId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .sign(options.signWith?.key ?? (options.foreignKey ? this.foreignKey : signer.privateKey));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
