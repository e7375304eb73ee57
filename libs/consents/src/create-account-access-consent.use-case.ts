import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { AccountAccessConsentEntity, DataSource } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { checkPermissionCombination, Permission } from './permissions.js';

export interface CreateAccountAccessConsentCommand {
  clientId: string;
  permissions: Permission[];
  expirationDateTime?: Date;
  transactionFromDateTime?: Date;
  transactionToDateTime?: Date;
  interactionId?: string;
}

/** A TPP asks for access: the consent is stored `AWAU` until the PSU answers at the authorization server. */
export class CreateAccountAccessConsent {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: CreateAccountAccessConsentCommand): Promise<AccountAccessConsentEntity> {
    const problems = checkPermissionCombination(command.permissions);
    if (problems.length > 0) {
      const [first] = problems;
      throw new ConsentException(ConsentExceptionCode.InvalidPermissions, first!.message, 'Data.Permissions', first!.errorCode);
    }
    const now = new Date();
    if (command.expirationDateTime && command.expirationDateTime <= now) {
      throw new ConsentException(ConsentExceptionCode.InvalidDate, 'ExpirationDateTime must be in the future', 'Data.ExpirationDateTime', 'U003');
    }
    if (
      command.transactionFromDateTime &&
      command.transactionToDateTime &&
      command.transactionFromDateTime > command.transactionToDateTime
    ) {
      throw new ConsentException(
        ConsentExceptionCode.InvalidDate,
        'TransactionFromDateTime must not be after TransactionToDateTime',
        'Data.TransactionFromDateTime',
        'U003',
      );
    }

    return this.dataSource.transaction(async (manager) => {
      const consent = manager.create(AccountAccessConsentEntity, {
        consentId: `aac-${randomUUID()}`,
        clientId: command.clientId,
        psuId: null,
        status: 'AWAU',
        statusReason: null,
        statusReasonDescription: null,
        permissions: [...command.permissions],
        expirationDateTime: command.expirationDateTime ?? null,
        transactionFromDateTime: command.transactionFromDateTime ?? null,
        transactionToDateTime: command.transactionToDateTime ?? null,
        creationDateTime: now,
        statusUpdateDateTime: now,
        grantId: null,
        authorisedAt: null,
      });
      await manager.insert(AccountAccessConsentEntity, consent);
      await recordAuditEvent(manager, {
        type: 'consent.created',
        actor: { type: 'tpp', id: command.clientId },
        clientId: command.clientId,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: {
          permissions: consent.permissions,
          expirationDateTime: consent.expirationDateTime?.toISOString() ?? null,
        },
      });
      return consent;
    });
  }
}
