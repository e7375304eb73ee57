import { constants, createHash, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';

import { calculateJwkThumbprint, CryptoKey, exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';

export interface ProofOptions {
  /** Override the claims (htu of another URL, an old iat, ...). */
  htu?: string;
  htm?: string;
  iat?: number;
  jti?: string;
}

/** A TPP's DPoP key (ES256 unless told) that signs one proof per request (RFC 9449). */
export class DpopKey {
  private constructor(
    private readonly privateKey: CryptoKey | KeyObject,
    private readonly publicJwk: JWK,
    readonly jkt: string,
    private readonly alg: string,
  ) {}

  /** ES256 by default; ES384 and EdDSA make keys the API must refuse. */
  static async generate(alg: 'ES256' | 'ES384' | 'EdDSA' = 'ES256'): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk), alg);
  }

  /** A PS256 key of any size and exponent (small or odd ones are for refusal tests). */
  static async generateRsa(modulusLength: number, publicExponent = 65537): Promise<DpopKey> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength, publicExponent });
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    return new DpopKey(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk), 'PS256');
  }

  proof(method: string, url: string, accessToken: string, options: ProofOptions = {}): Promise<string> {
    const htu = new URL(options.htu ?? url);
    htu.search = '';
    htu.hash = '';
    const claims = {
      htm: options.htm ?? method,
      htu: htu.toString(),
      ath: createHash('sha256').update(accessToken).digest('base64url'),
      jti: options.jti ?? randomUUID(),
      iat: options.iat ?? Math.floor(Date.now() / 1000),
    };
    const header = { alg: this.alg, typ: 'dpop+jwt', jwk: this.publicJwk };
    if (this.privateKey instanceof KeyObject) {
      // RSA keys are signed with node:crypto: jose refuses to sign with the small keys the API must refuse.
      const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const signature = sign('sha256', Buffer.from(input), { key: this.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      return Promise.resolve(`${input}.${signature.toString('base64url')}`);
    }
    return new SignJWT(claims).setProtectedHeader(header).sign(this.privateKey);
  }
}
