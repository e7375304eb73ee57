/**
 * A standing order's payments (its runs) are named after it: `{DomesticStandingOrderId}-run-{n}`, from
 * its first run, 0. Unique among payment ids (`dp-`, `vrp-`, ...), and the one place that says how.
 */
export function standingOrderRunId(standingOrderId: string, runIndex: number): string {
  return `${standingOrderId}-run-${runIndex}`;
}

const RUN_ID = /^(.+)-run-(\d+)$/;

/** The standing order whose run `paymentId` is, or null when it is no run's id. */
export function standingOrderOfRun(paymentId: string): string | null {
  return RUN_ID.exec(paymentId)?.[1] ?? null;
}
