import { messageSignatureHeader, OB_CRITICAL_CLAIMS, TppSigningProfile } from '@consentry/message-signing';
import { SandboxTppCredentials } from '@consentry/sandbox';
import { base64url, CompactSign, CryptoKey, importJWK, JWK } from 'jose';

/**
 * Signs request bodies as a TPP does (UK OB detached JWS), with jose directly so a test can send any
 * header, a wrong one included.
 */
export class TppMessageSigner {
  private constructor(
    readonly profile: TppSigningProfile,
    private readonly key: CryptoKey,
  ) {}

  static async of(tpp: SandboxTppCredentials): Promise<TppMessageSigner> {
    const jwk = tpp.jwks.keys.find((key) => key.kid === tpp.signing.kid) as JWK | undefined;
    if (!jwk) throw new Error(`the TPP's key set holds no key ${tpp.signing.kid}`);
    return new TppMessageSigner(tpp.signing, (await importJWK(jwk, 'PS256')) as CryptoKey);
  }

  /** The OB header this TPP signs with, with `overrides` applied (an undefined value leaves the claim out). */
  header(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const header: Record<string, unknown> = { ...messageSignatureHeader(this.profile, Math.floor(Date.now() / 1000)), ...overrides };
    for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete header[name];
    return header;
  }

  /** `x-jws-signature` over `body`'s exact bytes, by this TPP's key or `key`. */
  async sign(body: string, overrides: Record<string, unknown> = {}, key: CryptoKey = this.key): Promise<string> {
    const crit = Object.fromEntries(OB_CRITICAL_CLAIMS.map((claim) => [claim, true]));
    const jws = await new CompactSign(new TextEncoder().encode(body)).setProtectedHeader(this.header(overrides) as { alg: string }).sign(key, { crit });
    const [protectedHeader, , signature] = jws.split('.');
    return `${protectedHeader}..${signature}`;
  }

  /** `x-jws-signature` over `body` with `headerText` as the protected header's exact JSON, which jose cannot be made to write (a member given twice). */
  async signWithHeaderText(body: string, headerText: string): Promise<string> {
    const protectedHeader = base64url.encode(headerText);
    const input = new TextEncoder().encode(`${protectedHeader}.${base64url.encode(body)}`);
    const signature = new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, this.key, input));
    return `${protectedHeader}..${base64url.encode(signature)}`;
  }
}
