import { TppAdminException, TppAdminExceptionCode } from './tpp-admin.exception.js';

const CLIENT_ID = /^[\x21-\x7e]{1,200}$/;
const MAX_REASON = 500;

/** An administrator's decision about one TPP, validated on creation. */
export class TppStatusCommand {
  readonly clientId: string;
  readonly adminId: string;
  readonly interactionId: string;
  readonly reason: string | null;

  constructor(input: { clientId: string; adminId: string; interactionId: string; reason?: string }) {
    if (!CLIENT_ID.test(input.clientId)) throw new TppAdminException(TppAdminExceptionCode.InvalidRequest, 'clientId must be 1-200 visible ASCII characters');
    if (!input.adminId) throw new TppAdminException(TppAdminExceptionCode.InvalidRequest, 'an administrator is required');
    const reason = input.reason?.trim();
    if (reason !== undefined && reason.length > MAX_REASON) throw new TppAdminException(TppAdminExceptionCode.InvalidRequest, `reason must be at most ${MAX_REASON} characters`);
    this.clientId = input.clientId;
    this.adminId = input.adminId;
    this.interactionId = input.interactionId;
    this.reason = reason ? reason : null;
  }
}
