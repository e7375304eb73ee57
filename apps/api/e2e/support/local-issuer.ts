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
}

/**
 * A stand-in for the authorization server in API tests: serves discovery and JWKS for a PS256 key and
 * mints JWT access tokens the way oidc-provider will (typ at+jwt, iss, aud = API URL, client_id, scope,
 * openbanking_intent_id, cnf.jkt, 300 s).
 */
export class LocalIssuer {
  private server!: Server;
  private privateKey!: CryptoKey;
  private foreignKey!: CryptoKey;
  private publicJwk!: JWK;
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
    const pair = await generateKeyPair('PS256', { extractable: true });
    this.privateKey = pair.privateKey;
    this.publicJwk = { ...(await exportJWK(pair.publicKey)), kid: this.kid, alg: 'PS256', use: 'sig' };
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
        return send(200, { keys: [this.publicJwk] });
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
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: options.signWith?.kid ?? this.kid })
      .setIssuer(this.url)
      .setAudience(options.audience)
      .setSubject(options.consentId ? `psu-of-${options.consentId}` : options.clientId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .sign(options.signWith?.key ?? (options.foreignKey ? this.foreignKey : this.privateKey));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
