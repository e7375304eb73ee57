import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { auditCheckpointFileName, signAuditCheckpoint } from '@consentry/audit';
import { StartupError, type WorkerConfig } from '@consentry/config';
import { AuditLogEntity, DataSource } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { calculateJwkThumbprint, CryptoKey, decodeJwt, exportJWK, generateKeyPair, importJWK, JWK, KeyObject } from 'jose';

import { WorkerMetrics } from '../health/worker.metrics.js';
import { WORKER_CONFIG } from '../worker.tokens.js';

export interface CheckpointSigningKey {
  privateKey: CryptoKey | KeyObject;
  kid: string;
  alg: string;
}

/** The sandbox's generated key pair, under dataDir; production never generates one. */
export const SANDBOX_CHECKPOINT_KEY_FILE = 'audit-checkpoint-key.json';
export const SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE = 'audit-checkpoint-key.pub.json';

/** The hash a checkpoint file names (its signature is the verifier's to check), or null when it names none. */
function checkpointHashOf(jws: string): string | null {
  try {
    const { hash } = decodeJwt(jws.trim());
    return typeof hash === 'string' ? hash : null;
  } catch {
    return null;
  }
}

async function importPrivateJwk(jwk: JWK, source: string): Promise<CheckpointSigningKey> {
  if (!jwk.d) throw new StartupError(`${source} holds no private key`);
  const alg = jwk.alg ?? 'ES256';
  const privateKey = (await importJWK(jwk, alg)) as CryptoKey | KeyObject;
  return { privateKey, alg, kid: jwk.kid ?? (await calculateJwkThumbprint(jwk)) };
}

/**
 * The checkpoint signing key: AUDIT_CHECKPOINT_KEY_FILE (a private JWK), or in the sandbox a key pair
 * generated once under dataDir. The point is a key the database does not hold: in production it comes
 * from a secret store mounted into the worker only.
 */
export async function loadCheckpointSigningKey(config: WorkerConfig): Promise<CheckpointSigningKey> {
  if (config.auditCheckpointKeyFile) {
    let text: string;
    try {
      text = await readFile(config.auditCheckpointKeyFile, 'utf8');
    } catch (error) {
      throw new StartupError(`cannot read AUDIT_CHECKPOINT_KEY_FILE ${config.auditCheckpointKeyFile}: ${(error as Error).message}`);
    }
    let jwk: JWK;
    try {
      jwk = JSON.parse(text) as JWK;
    } catch {
      // JSON.parse's message quotes the text it choked on: here, key material.
      throw new StartupError(`AUDIT_CHECKPOINT_KEY_FILE ${config.auditCheckpointKeyFile} is not a JSON Web Key`);
    }
    return importPrivateJwk(jwk, config.auditCheckpointKeyFile);
  }
  if (config.mode !== 'sandbox') throw new StartupError('AUDIT_CHECKPOINT_KEY_FILE is required in production mode');
  const file = join(config.dataDir, SANDBOX_CHECKPOINT_KEY_FILE);
  if (existsSync(file)) return importPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK, file);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256', kid }), { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      // Another worker of the same sandbox generated it first: use theirs.
      if (error.code !== 'EEXIST') throw error;
    },
  );
  await chmod(file, 0o600);
  const stored = await importPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK, file);
  if (stored.kid === kid) {
    await writeFile(join(config.dataDir, SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE), JSON.stringify({ ...publicJwk, alg: 'ES256', kid, use: 'sig' }));
  }
  return stored;
}

/**
 * Signs the chain head (seq, hash, time) every AUDIT_CHECKPOINT_INTERVAL_MS when it moved, and writes
 * it as `<seq>.jws` to AUDIT_CHECKPOINT_DIR. Several workers may do so at once: a checkpoint of the same
 * head says the same thing, and the file is replaced atomically.
 */
@Injectable()
export class AuditCheckpointWriter implements OnModuleDestroy {
  private readonly logger = new Logger(AuditCheckpointWriter.name);
  private key?: CheckpointSigningKey;
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<unknown>;
  private lastSignedSeq = -1n;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly dataSource: DataSource,
    private readonly metrics: WorkerMetrics,
  ) {}

  async start(): Promise<void> {
    if (this.config.auditCheckpointIntervalMs === 0 || this.timer) return;
    this.key = await loadCheckpointSigningKey(this.config);
    await mkdir(this.config.auditCheckpointDir, { recursive: true });
    this.timer = setInterval(() => {
      if (this.cycle) return;
      this.cycle = this.checkpointOnce()
        .catch((error: unknown) => this.logger.warn(`checkpoint failed, will retry: ${(error as Error).message}`))
        .finally(() => (this.cycle = undefined));
    }, this.config.auditCheckpointIntervalMs);
  }

  /** Signs and writes the current head; returns its file, or null when the log is empty or unchanged. */
  async checkpointOnce(): Promise<string | null> {
    const key = (this.key ??= await loadCheckpointSigningKey(this.config));
    const table = this.dataSource.getMetadata(AuditLogEntity).tableName;
    const [head]: { seq: string; hash: string }[] = await this.dataSource.query(
      `SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`,
    );
    if (!head || BigInt(head.seq) === this.lastSignedSeq) return null;
    const seq = BigInt(head.seq);
    await mkdir(this.config.auditCheckpointDir, { recursive: true });
    const file = join(this.config.auditCheckpointDir, auditCheckpointFileName(seq));
    if (await this.keptCheckpoint(file, seq, head.hash)) return null;
    const jws = await signAuditCheckpoint({ seq, hash: head.hash }, key.privateKey, { kid: key.kid, alg: key.alg });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${jws}\n`);
    try {
      // link, not rename: it never replaces a checkpoint another writer made meanwhile.
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await this.keptCheckpoint(file, seq, head.hash);
      return null;
    } finally {
      await unlink(temporary);
    }
    this.lastSignedSeq = seq;
    this.metrics.recordCheckpoint();
    this.logger.debug('chain head checkpoint signed', { seq: head.seq, hash: head.hash });
    return file;
  }

  /**
   * Whether entry `seq` already has a checkpoint (this worker's before a restart, or another worker's). A
   * checkpoint is never replaced: until 7 December 2026 a restarted worker signed the head again and
   * renamed its file over the old one, so a chain rewritten after its checkpoint (hashes recomputed by
   * whoever can write the database) lost the one record that exposed it, and verified. One naming another
   * hash than the entry has now is kept as the evidence it is: logged as an error and counted
   * (`consentry_audit_checkpoint_conflicts_total`), and nothing is signed for that entry.
   */
  private async keptCheckpoint(file: string, seq: bigint, hash: string): Promise<boolean> {
    let existing: string;
    try {
      existing = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    this.lastSignedSeq = seq;
    if (checkpointHashOf(existing) !== hash) {
      this.metrics.recordCheckpointConflict();
      this.logger.error(
        `audit log entry ${seq} no longer has the hash its signed checkpoint ${file} names: the log was changed after it was signed. The checkpoint is kept and nothing is signed; run npm run audit:verify`,
      );
    }
    return true;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.cycle;
  }
}
