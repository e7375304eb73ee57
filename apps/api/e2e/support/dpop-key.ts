import { createHash, randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, CryptoKey, exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';

export interface ProofOptions {
  /** Override the claims (htu of another URL, an old iat, ...). */
  htu?: string;
  htm?: string;
  iat?: number;
  jti?: string;
}

/** A TPP's DPoP key (ES256) that signs one proof per request (RFC 9449). */
export class DpopKey {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    readonly jkt: string,
  ) {}

  static async generate(): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk));
  }

  proof(method: string, url: string, accessToken: string, options: ProofOptions = {}): Promise<string> {
    const htu = new URL(options.htu ?? url);
    htu.search = '';
    htu.hash = '';
    return new SignJWT({
      htm: options.htm ?? method,
      htu: htu.toString(),
      ath: createHash('sha256').update(accessToken).digest('base64url'),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.publicJwk })
      .setJti(options.jti ?? randomUUID())
      .setIssuedAt(options.iat ?? Math.floor(Date.now() / 1000))
      .sign(this.privateKey);
  }
}
