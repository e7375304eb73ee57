import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CryptoKey, jwtVerify, KeyObject, SignJWT } from 'jose';

/** The JWS `typ` of a checkpoint, so no other token signed with the key can pass for one. */
export const AUDIT_CHECKPOINT_TYP = 'audit-checkpoint+jwt';

/** What a checkpoint asserts: at `signedAt`, entry `seq` of the log had hash `hash`. */
export interface AuditCheckpoint {
  seq: bigint;
  hash: string;
  signedAt: Date;
}

/** Signs the chain head as a compact JWS (ES256 unless the key says otherwise). */
export async function signAuditCheckpoint(
  head: { seq: bigint; hash: string },
  privateKey: CryptoKey | KeyObject,
  options: { kid?: string; alg?: string; signedAt?: Date } = {},
): Promise<string> {
  const signedAt = options.signedAt ?? new Date();
  return new SignJWT({ seq: head.seq.toString(), hash: head.hash })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', typ: AUDIT_CHECKPOINT_TYP, ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuedAt(Math.floor(signedAt.getTime() / 1000))
    .setIssuer('consentry-worker')
    .sign(privateKey);
}

/** Checks a checkpoint's signature and shape; throws when either is wrong. */
export async function verifyAuditCheckpoint(jws: string, publicKey: CryptoKey | KeyObject): Promise<AuditCheckpoint> {
  const { payload } = await jwtVerify(jws, publicKey, { typ: AUDIT_CHECKPOINT_TYP, issuer: 'consentry-worker' });
  const { seq, hash, iat } = payload as { seq?: unknown; hash?: unknown; iat?: number };
  if (typeof seq !== 'string' || !/^\d+$/.test(seq)) throw new TypeError('checkpoint has no seq');
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw new TypeError('checkpoint has no hash');
  return { seq: BigInt(seq), hash, signedAt: new Date((iat ?? 0) * 1000) };
}

/** The file name of the checkpoint of entry `seq`: zero-padded so names sort in seq order. */
export function auditCheckpointFileName(seq: bigint): string {
  return `${seq.toString().padStart(20, '0')}.jws`;
}

/**
 * Reads every `*.jws` checkpoint in `dir` and checks its signature. A file that does not verify makes
 * the whole read fail: a forged checkpoint is itself evidence of tampering.
 */
export async function readAuditCheckpoints(dir: string, publicKey: CryptoKey | KeyObject): Promise<AuditCheckpoint[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.jws')).sort();
  const checkpoints: AuditCheckpoint[] = [];
  for (const name of names) {
    const jws = (await readFile(join(dir, name), 'utf8')).trim();
    try {
      checkpoints.push(await verifyAuditCheckpoint(jws, publicKey));
    } catch (error) {
      throw new Error(`checkpoint ${name} does not verify: ${(error as Error).message}`);
    }
  }
  return checkpoints;
}
