import { generate, generateSecret, generateURI, verify } from 'otplib';

/** What a second factor needs to know of the subject it checks. */
export interface SecondFactorSubject {
  /** The factor's secret, already decrypted. */
  secret: string;
  /** Last accepted time step (TOTP), so a code is single-use. */
  lastStep: number | null;
}

export type SecondFactorResult = { valid: true; step: number } | { valid: false };

/**
 * An independent second factor (PSD2 RTS Art. 4: knowledge + possession). TOTP is the first;
 * WebAuthn can implement the same interface.
 */
export interface SecondFactor {
  readonly kind: string;
  verify(subject: SecondFactorSubject, response: string): Promise<SecondFactorResult>;
}

/** RFC 6238 TOTP, 6 digits, 30 s steps, one step of clock drift either way, each step usable once. */
export class TotpFactor implements SecondFactor {
  readonly kind = 'totp';

  async verify(subject: SecondFactorSubject, code: string): Promise<SecondFactorResult> {
    if (!/^\d{6}$/.test(code)) return { valid: false };
    const result = await verify({
      secret: subject.secret,
      token: code,
      epochTolerance: 30,
      ...(subject.lastStep !== null ? { afterTimeStep: subject.lastStep } : {}),
    });
    if (!result.valid || !('timeStep' in result)) return { valid: false };
    return { valid: true, step: result.timeStep };
  }
}

export function generateTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, label: string): string {
  return generateURI({ issuer: 'Consentry', label, secret });
}

/** The current code for a secret (the sandbox demo and tests act as the PSU's authenticator app). */
export function currentTotpCode(secret: string): Promise<string> {
  return generate({ secret });
}

/** The code of the 30-second step containing `at` (an authenticator whose clock is ahead or behind). */
export function totpCodeAt(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}
