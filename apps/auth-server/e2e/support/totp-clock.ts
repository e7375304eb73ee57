import { setTimeout as sleep } from 'node:timers/promises';

import { currentTotpCode } from '@consentry/identity';
import { generate } from 'otplib';

const lastStepUsed = new Map<string, number>();

/**
 * The PSU's authenticator app for tests that sign the same PSU in several times: a TOTP step is
 * accepted once, so each login gets the current step's code or, if used, the next step's (still within
 * the server's one-step tolerance), waiting for the clock only beyond that.
 */
export async function nextTotpCode(secret: string): Promise<string> {
  for (;;) {
    const current = Math.floor(Date.now() / 30_000);
    const step = Math.max(current, (lastStepUsed.get(secret) ?? -1) + 1);
    if (step === current) {
      lastStepUsed.set(secret, step);
      return currentTotpCode(secret);
    }
    if (step === current + 1) {
      lastStepUsed.set(secret, step);
      return generate({ secret, epoch: step * 30 + 1 });
    }
    await sleep((current + 1) * 30_000 - Date.now() + 50);
  }
}
