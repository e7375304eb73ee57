/** A hold's review statuses while it waits for a decision: what the review queue lists. */
export const OPEN_REVIEW_STATUSES = ['held', 'release-requested'] as const;

/** SQL: the review row (of `alias`, if given) waits for a decision. */
export function openReviewCondition(alias?: string): string {
  return `${alias ? `${alias}.` : ''}review_status IN (${OPEN_REVIEW_STATUSES.map((status) => `'${status}'`).join(', ')})`;
}
