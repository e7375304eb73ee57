import { recordAuditEvent } from '@consentry/audit';
import { AdminUserEntity, DataSource, EntityManager, PsuEntity } from '@consentry/database';

import { KeyManagement } from './key-management.js';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, LoginThrottlePolicy } from './login-throttle.js';
import { burnPasswordVerification, verifyPassword } from './password.js';
import { recordPsuSignInFailure } from './psu-sign-in-failures.js';
import { SecondFactor, TotpFactor } from './second-factor.js';

export interface LoginAttempt {
  username: string;
  password: string;
  /** The second factor's response (a TOTP code). */
  otp: string;
  interactionId?: string;
  /** Client IP (the framework's request.ip, from the trusted proxy chain): throttled, and recorded in the audit event. */
  ip: string;
}

/**
 * Why a sign-in was refused. `invalid_credentials` and `locked` must reach the user as one answer (the
 * API's 401 invalid_credentials, the auth server's same page): only a PSU journey tells them apart, to
 * end at the TPP once the username is locked, known or not. `throttled` is the client IP's limit (429).
 */
export type LoginFailure = 'invalid_credentials' | 'locked' | 'throttled';

export type LoginOutcome =
  | { ok: true; subjectId: string; displayName: string; username: string }
  | { ok: false; reason: 'invalid_credentials' | 'locked'; lockedUntil?: Date }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

type SubjectKind = 'psu' | 'admin';

interface SubjectRow {
  id: string;
  displayName: string;
  passwordHash: string;
  totpSecretEnc: string;
  lockedUntil: Date | null;
  lastTotpStep: string | null;
}

/** Key-management context of a subject's TOTP seed. */
export function totpSecretContext(kind: SubjectKind, id: string): string {
  return `${kind}:${id}:totp`;
}

function laterOf(a: Date | null, b: Date | null): Date | null {
  const now = Date.now();
  const live = [a, b].filter((d): d is Date => d !== null && d.getTime() > now);
  return live.length === 0 ? null : new Date(Math.max(...live.map((d) => d.getTime())));
}

/**
 * Two-factor login (knowledge + possession) behind the one sign-in throttle (LoginThrottle): per client
 * IP, and per username whether or not it exists. Every attempt that reaches the credentials runs exactly
 * one password hash (the subject's, or the dummy one for an unknown username), locked or not, so neither
 * the answer nor its cost tells which usernames exist. The counters, the subject row and the audit event
 * commit together; the subject's row lock serialises concurrent attempts on one account.
 */
export class CredentialAuthenticator {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: KeyManagement,
    policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE,
    private readonly factor: SecondFactor = new TotpFactor(),
  ) {
    this.throttle = new LoginThrottle(dataSource, policy);
  }

  authenticatePsu(attempt: LoginAttempt): Promise<LoginOutcome> {
    return this.authenticate('psu', attempt);
  }

  authenticateAdmin(attempt: LoginAttempt): Promise<LoginOutcome> {
    return this.authenticate('admin', attempt);
  }

  private async authenticate(kind: SubjectKind, attempt: LoginAttempt): Promise<LoginOutcome> {
    // Before the credentials: a throttled source costs no hash and never reaches a username's counter.
    const admission = await this.throttle.admitIp(attempt.ip);
    if (!admission.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: admission.retryAfterSeconds };
    const outcome = await this.dataSource.transaction((manager) => this.check(manager, kind, attempt));
    if (outcome.ok) await this.throttle.releaseIp(attempt.ip);
    return outcome;
  }

  private async check(manager: EntityManager, kind: SubjectKind, attempt: LoginAttempt): Promise<LoginOutcome> {
    const subject = await this.findForUpdate(manager, kind, attempt.username);
    const standing = await this.throttle.usernameState(manager, kind, attempt.username);
    // Exactly one hash, whatever comes next (locked or not, known or not).
    const passwordOk = subject ? await verifyPassword(subject.passwordHash, attempt.password) : await burnPasswordVerification(attempt.password).then(() => false);

    const failedType = kind === 'psu' ? 'psu.login.failed' : 'admin.login.failed';
    const eventBase = { interactionId: attempt.interactionId };
    const actor = subject ? ({ type: kind, id: subject.id } as const) : ({ type: 'system', id: 'login' } as const);
    const subjectIds = subject && kind === 'psu' ? { psuId: subject.id } : {};
    const lockedUntil = laterOf(standing.lockedUntil, subject?.lockedUntil ?? null);
    if (lockedUntil) {
      if (subject && kind === 'psu') await recordPsuSignInFailure(manager, subject.id, null);
      await recordAuditEvent(manager, {
        ...eventBase,
        ...subjectIds,
        type: failedType,
        actor,
        data: { reason: 'locked', known: subject !== null, lockedUntil: lockedUntil.toISOString(), ip: attempt.ip },
      });
      return { ok: false, reason: 'locked', lockedUntil };
    }

    const table = kind === 'psu' ? 'psu' : 'admin_user';
    const idColumn = kind === 'psu' ? 'psu_id' : 'admin_id';
    if (subject && passwordOk) {
      const secret = this.keys.decrypt(subject.totpSecretEnc, totpSecretContext(kind, subject.id));
      const factor = await this.factor.verify(
        { secret, lastStep: subject.lastTotpStep === null ? null : Number(subject.lastTotpStep) },
        attempt.otp,
      );
      if (factor.valid) {
        await this.throttle.clearUsername(manager, kind, attempt.username);
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
    }

    const failure = await this.throttle.recordUsernameFailure(manager, kind, attempt.username);
    if (subject && kind === 'psu') await recordPsuSignInFailure(manager, subject.id, failure.lockedUntil);
    if (subject) {
      // A copy on the subject's row, for the consoles and the session checks that read it.
      await manager.query(`UPDATE ${table} SET failed_login_count = $2, locked_until = $3 WHERE ${idColumn} = $1`, [
        subject.id,
        failure.lockedUntil ? 0 : failure.failures,
        failure.lockedUntil,
      ]);
    }
    await recordAuditEvent(manager, {
      ...eventBase,
      ...subjectIds,
      type: failedType,
      actor,
      // Which factor failed is not recorded: it would tell an attacker holding the log which half they have.
      data: { reason: subject ? 'invalid_credentials' : 'unknown_user', consecutiveFailures: failure.failures, ip: attempt.ip },
    });
    if (failure.lockedUntil) {
      await recordAuditEvent(manager, {
        ...eventBase,
        ...subjectIds,
        type: kind === 'psu' ? 'psu.locked' : 'admin.login.failed',
        actor,
        data: { lockedUntil: failure.lockedUntil.toISOString(), afterFailures: failure.failures, known: subject !== null },
      });
      return { ok: false, reason: 'locked', lockedUntil: failure.lockedUntil };
    }
    return { ok: false, reason: 'invalid_credentials' };
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
