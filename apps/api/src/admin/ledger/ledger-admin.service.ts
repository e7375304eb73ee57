import { recordAuditEvent } from '@consentry/audit';
import { closeSandboxLedgerAccount, reidentifySandboxLedgerAccount, ReidentifiableScheme } from '@consentry/banking';
import { LinkedAccountChange, recordLinkedAccountChange } from '@consentry/consents';
import { DataSource, EntityManager } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { LedgerAccountException, LedgerAccountExceptionCode } from './ledger-account.exception.js';

/** What an account change told: the consents whose TPPs get a linked-account-update event. */
export interface LedgerAccountChanged {
  accountId: string;
  change: LinkedAccountChange;
  consentsNotified: string[];
}

/**
 * The bank's back office on the built-in ledger: an account closed or re-identified, and, in the same
 * transaction, one `consent.linked-account-changed` audit entry per authorised consent holding it (the
 * worker turns each into its TPP's linked-account-update event).
 */
@Injectable()
export class LedgerAdminService {
  constructor(private readonly dataSource: DataSource) {}

  close(accountId: string, adminId: string, interactionId: string): Promise<LedgerAccountChanged> {
    return this.change(accountId, 'closed', adminId, interactionId, (manager) => closeSandboxLedgerAccount(manager, accountId));
  }

  reidentify(accountId: string, identification: { schemeName: ReidentifiableScheme; identification: string }, adminId: string, interactionId: string): Promise<LedgerAccountChanged> {
    return this.change(accountId, 'identification-changed', adminId, interactionId, async (manager) => {
      const outcome = await reidentifySandboxLedgerAccount(manager, accountId, identification);
      if (outcome === 'taken') throw new LedgerAccountException(LedgerAccountExceptionCode.IdentificationTaken, 'Another open account holds that identification');
      return outcome === 'changed';
    });
  }

  private change(
    accountId: string,
    change: LinkedAccountChange,
    adminId: string,
    interactionId: string,
    write: (manager: EntityManager) => Promise<boolean>,
  ): Promise<LedgerAccountChanged> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await write(manager))) throw new LedgerAccountException(LedgerAccountExceptionCode.NotFound, 'No such open account, or nothing to change');
      const consentsNotified = await recordLinkedAccountChange(manager, { accountId, change, actor: { type: 'admin', id: adminId }, interactionId });
      // The admin's act itself, whether or not a consent held the account (PCI DSS 10.2.1.2).
      await recordAuditEvent(manager, {
        type: 'ledger.account-changed',
        actor: { type: 'admin', id: adminId },
        interactionId,
        data: { accountId, change, consentsNotified: consentsNotified.length },
      });
      return { accountId, change, consentsNotified };
    });
  }
}
