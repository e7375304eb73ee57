import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto, PageQueryDto } from '../open-banking/page-query.dto.js';
import { AlsoRequiresAnyPermission } from '../security/permission.guard.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { OBReadTransaction6 } from '../transactions/transactions.service.js';
import { StatementsQueryDto } from './statements-query.dto.js';
import { OBReadStatement2, StatementFile, StatementsService } from './statements.service.js';

@ApiTags('Statements')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadStatementsBasic', 'ReadStatementsDetail')
export class StatementsController {
  constructor(private readonly statements: StatementsService) {}

  @Get('statements')
  @ApiOperation({ operationId: 'GetStatements', summary: 'Statements of every account of the consent (OBReadStatement2)' })
  @ApiOkResponse({ description: 'OBReadStatement2' })
  list(@ObRead() request: ObReadRequest, @Query() query: StatementsQueryDto): Promise<OBReadStatement2> {
    return this.statements.read(request, query);
  }

  @Get('accounts/:AccountId/statements')
  @ApiOperation({ operationId: 'GetAccountsAccountIdStatements', summary: 'Statements of one account (OBReadStatement2)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadStatement2' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() query: StatementsQueryDto): Promise<OBReadStatement2> {
    return this.statements.read(request, query);
  }

  @Get('accounts/:AccountId/statements/:StatementId')
  @ApiOperation({ operationId: 'GetAccountsAccountIdStatementsStatementId', summary: 'One statement (OBReadStatement2)' })
  @ApiParam({ name: 'AccountId' })
  @ApiParam({ name: 'StatementId' })
  @ApiOkResponse({ description: 'OBReadStatement2' })
  get(@ObRead() request: ObReadRequest, @Param('StatementId') statementId: string, @Query() _query: NoQueryDto): Promise<OBReadStatement2> {
    return this.statements.read(request, {}, statementId);
  }

  @Get('accounts/:AccountId/statements/:StatementId/file')
  // OB Permissions: downloading the statement file needs ReadStatementsDetail; Basic is not enough.
  @AlsoRequiresAnyPermission('ReadStatementsDetail')
  @ApiOperation({ operationId: 'GetAccountsAccountIdStatementsStatementIdFile', summary: 'One statement as a file (File, application/json)' })
  @ApiParam({ name: 'AccountId' })
  @ApiParam({ name: 'StatementId' })
  @ApiOkResponse({ description: 'File: the statement as a JSON document' })
  async file(
    @ObRead() request: ObReadRequest,
    @Param('StatementId') statementId: string,
    @Query() _query: NoQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StatementFile> {
    const file = await this.statements.readFile(request, statementId);
    // The spec's media types for File are JSON (or JWE); a download still gets a file name.
    void reply.header('content-disposition', `attachment; filename="statement-${statementId}.json"`);
    return file;
  }

  @Get('accounts/:AccountId/statements/:StatementId/transactions')
  // The statement's transactions are transactions: the consent must grant those too (Basic/Detail and a direction).
  @AlsoRequiresAnyPermission('ReadTransactionsBasic', 'ReadTransactionsDetail')
  @ApiOperation({ operationId: 'GetAccountsAccountIdStatementsStatementIdTransactions', summary: 'Transactions of one statement (OBReadTransaction6)' })
  @ApiParam({ name: 'AccountId' })
  @ApiParam({ name: 'StatementId' })
  @ApiOkResponse({ description: 'OBReadTransaction6' })
  transactions(@ObRead() request: ObReadRequest, @Param('StatementId') statementId: string, @Query() _query: PageQueryDto): Promise<OBReadTransaction6> {
    return this.statements.readTransactions(request, statementId);
  }
}
