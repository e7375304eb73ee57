import { randomBytes } from 'node:crypto';

// Interaction uids are nanoids (A-Z, a-z, 0-9, `_`, `-`): the separator cannot occur in one.
const SEPARATOR = '.';

/**
 * The id of a grant an approval in interaction `uid` saves: `<uid>.<256 random bits>`. A consent records
 * the grant of the one approval that authorised it (under its row lock), so a second submission of the
 * same page that lost that race can tell that its own interaction won, rather than another journey.
 */
export function interactionGrantId(uid: string): string {
  return `${uid}${SEPARATOR}${randomBytes(32).toString('base64url')}`;
}

/** Whether `grantId` was saved by an approval in interaction `uid`. */
export function isInteractionGrant(uid: string, grantId: string | null | undefined): boolean {
  return grantId?.startsWith(`${uid}${SEPARATOR}`) ?? false;
}
