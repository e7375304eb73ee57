import { countCodePoints } from '@consentry/validation';

import { TppException, TppExceptionCode } from './tpp.exception.js';

const CLIENT_ID = /^[\x21-\x7e]{1,200}$/;
const MAX_REASON = 500;

function assertClientId(clientId: string): void {
  if (!CLIENT_ID.test(clientId)) throw new TppException(TppExceptionCode.InvalidRequest, 'clientId must be 1-200 visible ASCII characters');
}

/** An administrator's decision about one TPP (suspend, reinstate), validated on creation. */
export class TppStatusCommand {
  readonly clientId: string;
  readonly adminId: string;
  readonly interactionId: string;
  readonly reason: string | null;

  constructor(input: { clientId: string; adminId: string; interactionId: string; reason?: string }) {
    assertClientId(input.clientId);
    if (!input.adminId) throw new TppException(TppExceptionCode.InvalidRequest, 'an administrator is required');
    const reason = input.reason?.trim();
    // In code points, as the admin API's DTO counts it (MaxCodePoints): an emoji is one character.
    if (reason !== undefined && countCodePoints(reason) > MAX_REASON) throw new TppException(TppExceptionCode.InvalidRequest, `reason must be at most ${MAX_REASON} characters`);
    this.clientId = input.clientId;
    this.adminId = input.adminId;
    this.interactionId = input.interactionId;
    this.reason = reason ? reason : null;
  }
}

/** A TPP deletes its own registration (RFC 7592 section 2.3), validated on creation. */
export class DeregisterTppCommand {
  readonly clientId: string;
  readonly interactionId: string;

  constructor(input: { clientId: string; interactionId: string }) {
    assertClientId(input.clientId);
    this.clientId = input.clientId;
    this.interactionId = input.interactionId;
  }
}
