import { AggregatedBank, BankBeneficiary } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obCreditorAccount } from '../open-banking/ob-mappers.js';
import { ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadBeneficiary5 */
export type OBReadBeneficiary5 = ObReadResponse<'Beneficiary'>;

/** The full OBBeneficiary5 (Detail); Basic drops the creditor agent and account. */
function toObBeneficiary(beneficiary: BankBeneficiary): Record<string, unknown> {
  return {
    AccountId: beneficiary.accountId,
    BeneficiaryId: beneficiary.beneficiaryId,
    ...(beneficiary.beneficiaryType ? { BeneficiaryType: beneficiary.beneficiaryType } : {}),
    ...(beneficiary.reference ? { Reference: beneficiary.reference } : {}),
    ...(beneficiary.creditorAgent ? { CreditorAgent: { SchemeName: beneficiary.creditorAgent.schemeName, Identification: beneficiary.creditorAgent.identification } } : {}),
    CreditorAccount: obCreditorAccount(beneficiary.creditorAccount),
  };
}

@Injectable()
export class BeneficiariesService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async read(request: ObReadRequest): Promise<OBReadBeneficiary5> {
    return this.responder.respondPage(request, { resource: 'beneficiaries', rule: 'beneficiary', dataKey: 'Beneficiary', list: (ids, cursor, size) => this.bank.listBeneficiaries(ids, cursor, size), toOb: toObBeneficiary });
  }
}
