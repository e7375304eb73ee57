import { calculateJwkThumbprint, exportJWK, generateKeyPair, JWK } from 'jose';

import { MESSAGE_SIGNING_ALG } from './ob-message-signature.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** A fresh PS256 message-signing key (RSA 2048, as OB Directory signing keys are) as a private JWK with `kid` = its RFC 7638 thumbprint. */
export async function generateMessageSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(MESSAGE_SIGNING_ALG, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: MESSAGE_SIGNING_ALG, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

/** The public half of a JWK: every private member left out. */
export function publicJwkOf(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

/** UK OB Directory: a TPP signs as `{organisation_id}/{software_id}`. */
export function tppMessageIssuer(organisationId: string, softwareId: string): string {
  return `${organisationId}/${softwareId}`;
}

/** The JOSE header values a TPP signs its requests with (written beside its private keys). */
export interface TppSigningProfile {
  kid: string;
  iss: string;
  tan: string;
}
