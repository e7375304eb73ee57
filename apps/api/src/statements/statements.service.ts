import { AggregatedBank, BankStatement, ListCursor, ListPage, StatementQuery } from '@consentry/banking';
import { filterByPermissions } from '@consentry/redaction';
import { parseObQueryDateTime } from '@consentry/validation';
import { Injectable } from '@nestjs/common';

import { accountsOf, ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obAmount, obDateTime, ObReadResponse } from '../open-banking/ob-response.js';
import { OBReadTransaction6, TransactionsService } from '../transactions/transactions.service.js';
import { StatementException } from './statement.exception.js';
import { StatementsQueryDto } from './statements-query.dto.js';

/** OBReadStatement2 */
export type OBReadStatement2 = ObReadResponse<'Statement'>;

/**
 * The statement file (the spec's `File`, an open object served as application/json): the statement as a
 * document, in the OBStatement2 Detail shape so a TPP reads it with the types it already has.
 */
export interface StatementFile {
  Statement: Record<string, unknown>;
}

function signedAmount(value: string, currency: string, type: string): Record<string, unknown> {
  return { CreditDebitIndicator: value.startsWith('-') ? 'Debit' : 'Credit', Type: type, Amount: obAmount(value, currency) };
}

/** The full OBStatement2 (Detail); Basic drops StatementAmount. */
function toObStatement(statement: BankStatement): Record<string, unknown> {
  const { currency } = statement;
  return {
    AccountId: statement.accountId,
    StatementId: statement.statementId,
    ...(statement.statementReference ? { StatementReference: statement.statementReference } : {}),
    Type: statement.type,
    StartDateTime: obDateTime(statement.startDateTime),
    EndDateTime: obDateTime(statement.endDateTime),
    CreationDateTime: obDateTime(statement.creationDateTime),
    ...(statement.description ? { StatementDescription: [statement.description] } : {}),
    StatementAmount: [
      signedAmount(statement.openingBalance, currency, 'UK.OBIE.PreviousClosingBalance'),
      signedAmount(statement.closingBalance, currency, 'UK.OBIE.ClosingBalance'),
      { CreditDebitIndicator: 'Credit', Type: 'UK.OBIE.TotalCredits', Amount: obAmount(statement.totalCredits, currency) },
      { CreditDebitIndicator: 'Debit', Type: 'UK.OBIE.TotalDebits', Amount: obAmount(statement.totalDebits, currency) },
    ],
  };
}

@Injectable()
export class StatementsService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
    private readonly transactions: TransactionsService,
  ) {}

  async read(request: ObReadRequest, query: StatementsQueryDto, statementId?: string): Promise<OBReadStatement2> {
    const statements: StatementQuery = {
      from: parseObQueryDateTime(query.fromStatementDateTime) ?? undefined,
      to: parseObQueryDateTime(query.toStatementDateTime) ?? undefined,
      statementId,
    };
    const list = async (ids: string[], cursor: ListCursor | null, size: number): Promise<ListPage<BankStatement>> => {
      const page = await this.bank.listStatements(ids, statements, cursor, size);
      // One statement asked for and none there (with its bank up): the same 404 as readFile's.
      if (statementId && page.totalPages === 0 && page.unavailable.length === 0) throw new StatementException('No such statement for this account');
      // A bank that answers another statement than the one asked for is not shown (until 7 December 2026
      // its statement was relayed as the one asked for): the same 404.
      if (statementId && page.items.some((item) => item.statementId !== statementId)) throw new StatementException('No such statement for this account');
      return page;
    };
    return this.responder.respondPage(request, { resource: 'statements', rule: 'statement', dataKey: 'Statement', list, toOb: toObStatement });
  }

  /** The statement as a file: one account's statement, audited as a read of statements. */
  async readFile(request: ObReadRequest, statementId: string): Promise<StatementFile> {
    const statement = await this.one(request, statementId);
    // The route requires ReadStatementsDetail, so the filter keeps the amounts; it stays the one gate.
    const document = filterByPermissions('statement', toObStatement(statement), request.consent.permissions);
    if (!document) throw new StatementException('No such statement for this account');
    await this.responder.audit(request, 'statements', [statement.accountId], 1);
    return { Statement: document };
  }

  /** The transactions booked within the statement's period (and the consent's transaction window). */
  async readTransactions(request: ObReadRequest, statementId: string): Promise<OBReadTransaction6> {
    const statement = await this.one(request, statementId);
    return this.transactions.readAccountTransactions(request, { from: statement.startDateTime, to: statement.endDateTime });
  }

  /** The path account's statement; another account's, or none, is the same 404. */
  private async one(request: ObReadRequest, statementId: string): Promise<BankStatement> {
    const page = await this.bank.listStatements(accountsOf(request), { statementId }, null, 1);
    this.responder.assertAvailable(request, page.unavailable);
    const [statement] = page.items;
    if (!statement || statement.statementId !== statementId) throw new StatementException('No such statement for this account');
    return statement;
  }
}
