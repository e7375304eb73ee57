import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { PlatformMode, readOrCreateKeyFile, StartupError } from '@consentry/config';
import { importJWK, JWK, KeyObject } from 'jose';

import { generateMessageSigningJwk, publicJwkOf } from './message-signing-key.js';
import { isMessageSigningJwk, MessageSigner } from './ob-message-signature.js';

/** A private JSON Web Key Set of the bank's message-signing keys: the first signs, all are published. */
interface MessageSigningJwks {
  keys: JWK[];
}

/** Where the sandbox's generated key lives: beside the auth server's dev keys, a file of its own. */
export function devMessageSigningJwksPath(dataDir: string): string {
  return join(dataDir, 'keys', 'api-message-signing-jwks.json');
}

function assertMessageSigningJwks(value: unknown, source: string): MessageSigningJwks {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new StartupError(`${source} holds no "keys" array: expected a private JSON Web Key Set`);
  for (const key of keys as JWK[]) {
    if (typeof key !== 'object' || key === null || typeof key.d !== 'string' || typeof key.kid !== 'string' || !isMessageSigningJwk(key)) {
      throw new StartupError(`${source} must hold private RSA keys (2048 bits or more) with a kid, for PS256 message signatures`);
    }
  }
  return { keys: keys as JWK[] };
}

async function readJwksFile(file: string): Promise<MessageSigningJwks> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new StartupError(`cannot read MESSAGE_SIGNING_JWKS_FILE ${file} (${(error as Error).message})`);
  }
  try {
    return assertMessageSigningJwks(JSON.parse(text), 'MESSAGE_SIGNING_JWKS_FILE');
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError('MESSAGE_SIGNING_JWKS_FILE is not valid JSON');
  }
}

/** What loading the bank's keys reads of an app's config (the API's and the worker's both carry it). */
export interface BankSigningKeysConfig {
  messageSigningJwksFile?: string;
  messageSigningIssuer: string;
  messageSigningTrustAnchor: string;
  dataDir: string;
  mode: PlatformMode;
}

/**
 * The bank's message-signing keys (UK OB `x-jws-signature` on PIS, VRP and CoF responses): a key set of
 * their own, never the authorization server's token-signing keys, so a response signature can never be
 * replayed as an access token and the API's token verifier (which trusts the issuer's JWKS only) never
 * sees them.
 */
export class BankSigningKeys {
  private constructor(
    /** Signs every response: the first key of the set. */
    readonly signer: MessageSigner,
    /** What `/.well-known/message-signing-jwks.json` publishes: every key's public half. */
    readonly publicJwks: { keys: JWK[] },
  ) {}

  /**
   * MESSAGE_SIGNING_JWKS_FILE when set; otherwise (sandbox only: production requires the file) a PS256
   * key generated on first start under `<dataDir>/keys` (0600), as the auth server's dev keys are.
   */
  static async load(config: BankSigningKeysConfig): Promise<BankSigningKeys> {
    let jwks: MessageSigningJwks;
    if (config.messageSigningJwksFile) {
      jwks = await readJwksFile(config.messageSigningJwksFile);
    } else {
      if (config.mode === 'production') throw new StartupError('MESSAGE_SIGNING_JWKS_FILE is required in production mode');
      const path = devMessageSigningJwksPath(config.dataDir);
      jwks = await readOrCreateKeyFile(path, async () => ({ keys: [await generateMessageSigningJwk()] }), (value) => assertMessageSigningJwks(value, path));
    }
    const first = jwks.keys[0]!;
    const key = (await importJWK({ ...first, alg: 'PS256' }, 'PS256')) as KeyObject;
    const signer: MessageSigner = { kid: first.kid!, iss: config.messageSigningIssuer, tan: config.messageSigningTrustAnchor, key };
    return new BankSigningKeys(signer, { keys: jwks.keys.map((jwk) => ({ ...publicJwkOf(jwk), alg: 'PS256', use: 'sig' })) });
  }
}
