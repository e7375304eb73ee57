import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The sandbox's new-payee rule alone (1000.00 or more to a payee never paid is held): for suites that
 * hold many payments from one account, which the velocity rule would add to (and reject at 100).
 */
export const NEW_PAYEE_RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - name: large-payment-to-new-payee
    kind: new-payee
    params: { minAmount: "1000.00" }
    weight: 50
    action: hold
`;

/** 10.00 or more to a payee the account never paid is held: small enough for a VRP under a 50.00 limit. */
export const SMALL_NEW_PAYEE_HOLD_RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: new-payee, kind: new-payee, params: { minAmount: "10.00" }, weight: 50, action: hold }
`;

/** A suite's own rules file (and deny-list, when given), in a directory `remove` deletes. */
export async function riskFiles(rules: string, denyList?: unknown[]): Promise<{ env: Record<string, string>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'consentry-risk-'));
  await writeFile(join(dir, 'rules.yaml'), rules);
  if (denyList) await writeFile(join(dir, 'deny-list.json'), JSON.stringify(denyList));
  return {
    env: { RISK_RULES_FILE: join(dir, 'rules.yaml'), RISK_DENY_LIST_FILE: join(dir, 'deny-list.json') },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
