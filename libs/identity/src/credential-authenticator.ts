import { recordAuditEvent } from '@consentry/audit';
import { AdminUserEntity, DataSource, EntityManager, PsuEntity } from '@consentry/database';

import { KeyManagement } from './key-management.js';
import { burnPasswordVerification, verifyPassword } from './password.js';
import { SecondFactor, TotpFactor } from './second-factor.js';

export interface LoginAttempt {
  username: string;
  password: string;
  /** The second factor's response (a TOTP code). */
  otp: string;
  interactionId?: string;
  /** Client IP, recorded in the audit event. */
  ip?: string;
}

export type LoginFailure = 'invalid_credentials' | 'locked';

export type LoginOutcome =
  | { ok: true; subjectId: string; displayName: string; username: string }
  | { ok: false; reason: LoginFailure; lockedUntil?: Date };

export interface LockoutPolicy {
  /** Consecutive failures that lock the subject (PSD2 RTS Art. 4(3)(b): at most 5). */
  maxFailures: number;
  lockoutSeconds: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockoutSeconds: 15 * 60 };

type SubjectKind = 'psu' | 'admin';

interface SubjectRow {
  id: string;
  displayName: string;
  passwordHash: string;
  totpSecretEnc: string;
  failedLoginCount: number;
  lockedUntil: Date | null;
  lastTotpStep: string | null;
}

/** Key-management context of a subject's TOTP seed. */
export function totpSecretContext(kind: SubjectKind, id: string): string {
  return `${kind}:${id}:totp`;
}

/**
 * Two-factor login (knowledge + possession) with lockout after consecutive failures. The counter
 * update and the audit event commit together; the row lock serialises concurrent attempts.
 */
export class CredentialAuthenticator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: KeyManagement,
    private readonly lockout: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly factor: SecondFactor = new TotpFactor(),
  ) {}

  authenticatePsu(attempt: LoginAttempt): Promise<LoginOutcome> {
    return this.authenticate('psu', attempt);
  }

  authenticateAdmin(attempt: LoginAttempt): Promise<LoginOutcome> {
    return this.authenticate('admin', attempt);
  }

  private async authenticate(kind: SubjectKind, attempt: LoginAttempt): Promise<LoginOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const subject = await this.findForUpdate(manager, kind, attempt.username);
      const eventBase = { interactionId: attempt.interactionId };
      if (!subject) {
        await burnPasswordVerification(attempt.password);
        await recordAuditEvent(manager, {
          ...eventBase,
          type: kind === 'psu' ? 'psu.login.failed' : 'admin.login.failed',
          actor: { type: 'system', id: 'login' },
          data: { reason: 'unknown_user', ip: attempt.ip },
        });
        return { ok: false, reason: 'invalid_credentials' };
      }
      const actor = { type: kind, id: subject.id } as const;
      const subjectIds = kind === 'psu' ? { psuId: subject.id } : {};
      if (subject.lockedUntil && subject.lockedUntil > new Date()) {
        await recordAuditEvent(manager, {
          ...eventBase,
          ...subjectIds,
          type: kind === 'psu' ? 'psu.login.failed' : 'admin.login.failed',
          actor,
          data: { reason: 'locked', lockedUntil: subject.lockedUntil.toISOString(), ip: attempt.ip },
        });
        return { ok: false, reason: 'locked', lockedUntil: subject.lockedUntil };
      }

      const passwordOk = await verifyPassword(subject.passwordHash, attempt.password);
      const secret = this.keys.decrypt(subject.totpSecretEnc, totpSecretContext(kind, subject.id));
      const factor = await this.factor.verify(
        { secret, lastStep: subject.lastTotpStep === null ? null : Number(subject.lastTotpStep) },
        attempt.otp,
      );

      const table = kind === 'psu' ? 'psu' : 'admin_user';
      const idColumn = kind === 'psu' ? 'psu_id' : 'admin_id';
      if (passwordOk && factor.valid) {
        await manager.query(
          `UPDATE ${table} SET failed_login_count = 0, locked_until = NULL, last_totp_step = $2 WHERE ${idColumn} = $1`,
          [subject.id, factor.step],
        );
        await recordAuditEvent(manager, {
          ...eventBase,
          ...subjectIds,
          type: kind === 'psu' ? 'psu.login.succeeded' : 'admin.login.succeeded',
          actor,
          data: { factors: ['password', this.factor.kind], ip: attempt.ip },
        });
        return { ok: true, subjectId: subject.id, displayName: subject.displayName, username: attempt.username };
      }

      const failures = subject.failedLoginCount + 1;
      const locks = failures >= this.lockout.maxFailures;
      const lockedUntil = locks ? new Date(Date.now() + this.lockout.lockoutSeconds * 1000) : null;
      await manager.query(
        `UPDATE ${table} SET failed_login_count = $2, locked_until = $3 WHERE ${idColumn} = $1`,
        [subject.id, locks ? 0 : failures, lockedUntil],
      );
      await recordAuditEvent(manager, {
        ...eventBase,
        ...subjectIds,
        type: kind === 'psu' ? 'psu.login.failed' : 'admin.login.failed',
        actor,
        // Which factor failed is not recorded: it would tell an attacker holding the log which half they have.
        data: { reason: 'invalid_credentials', consecutiveFailures: failures, ip: attempt.ip },
      });
      if (locks) {
        await recordAuditEvent(manager, {
          ...eventBase,
          ...subjectIds,
          type: kind === 'psu' ? 'psu.locked' : 'admin.login.failed',
          actor,
          data: { lockedUntil: lockedUntil!.toISOString(), afterFailures: failures },
        });
        return { ok: false, reason: 'locked', lockedUntil: lockedUntil! };
      }
      return { ok: false, reason: 'invalid_credentials' };
    });
  }

  private async findForUpdate(manager: EntityManager, kind: SubjectKind, username: string): Promise<SubjectRow | null> {
    if (kind === 'psu') {
      const psu = await manager.findOne(PsuEntity, { where: { username }, lock: { mode: 'pessimistic_write' } });
      return psu && { id: psu.psuId, ...psu };
    }
    const admin = await manager.findOne(AdminUserEntity, { where: { username }, lock: { mode: 'pessimistic_write' } });
    return admin && { id: admin.adminId, displayName: admin.username, ...admin };
  }
}
