import { AggregatedBank, BankAccountParty, BankParty } from '@consentry/banking';
import { filterByPermissions } from '@consentry/redaction';
import { Injectable } from '@nestjs/common';

import { PublicUrl } from '../http/public-url.js';
import { accountsOf, ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObReadResponse } from '../open-banking/ob-response.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';

/** OBReadParty3: the parties of an account. */
export type OBReadParty3 = ObReadResponse<'Party'>;
/** OBReadParty2: one party (the account owner, or the PSU). */
export type OBReadParty2 = ObReadResponse<'Party', Record<string, unknown>>;

// The role that makes a party the account's owner for GET /accounts/{AccountId}/party.
const OWNER_ROLE = 'UK.OBIE.Principal';

function toObParty(party: BankParty): Record<string, unknown> {
  return {
    PartyId: party.partyId,
    ...(party.partyNumber ? { PartyNumber: party.partyNumber } : {}),
    PartyType: party.partyType,
    Name: party.name,
    ...(party.fullLegalName ? { FullLegalName: party.fullLegalName } : {}),
    ...(party.emailAddress ? { EmailAddress: party.emailAddress } : {}),
    ...(party.phone ? { Phone: party.phone } : {}),
    ...(party.mobile ? { Mobile: party.mobile } : {}),
    ...(party.address
      ? {
          Address: [
            {
              AddressType: 'HOME',
              ...(party.address.streetName ? { StreetName: party.address.streetName } : {}),
              ...(party.address.buildingNumber ? { BuildingNumber: party.address.buildingNumber } : {}),
              ...(party.address.postCode ? { PostCode: party.address.postCode } : {}),
              ...(party.address.townName ? { TownName: party.address.townName } : {}),
              ...(party.address.country ? { Country: party.address.country } : {}),
            },
          ],
        }
      : {}),
  };
}

@Injectable()
export class PartiesService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
    private readonly publicUrl: PublicUrl,
  ) {}

  private toObAccountParty(party: BankAccountParty): Record<string, unknown> {
    return {
      ...toObParty(party),
      AccountRole: party.accountRole,
      Relationships: { Account: { Related: this.publicUrl.of(`/${AISP_BASE_PATH}/accounts/${encodeURIComponent(party.accountId)}`), Id: party.accountId } },
    };
  }

  /** GET /accounts/{AccountId}/parties */
  async readAccountParties(request: ObReadRequest): Promise<OBReadParty3> {
    return this.responder.respondPage(request, {
      resource: 'parties',
      rule: 'party',
      dataKey: 'Party',
      list: (ids, cursor, size) => this.bank.listAccountParties(ids, {}, cursor, size),
      toOb: (p) => this.toObAccountParty(p),
    });
  }

  /** GET /accounts/{AccountId}/party: the account's owner. */
  async readAccountOwner(request: ObReadRequest): Promise<OBReadParty2> {
    const owner = (await this.firstParty(request, OWNER_ROLE)) ?? (await this.firstParty(request));
    return this.single(request, owner ? filterByPermissions('party', this.toObAccountParty(owner), request.consent.permissions) : null, owner ? [owner.accountId] : []);
  }

  /** GET /party: the PSU who authorised the consent, as their bank knows them. */
  async readPsuParty(request: ObReadRequest): Promise<OBReadParty2> {
    const { consent } = request;
    const party = consent.psuId ? await this.bank.findPsuParty(consent.psuId, consent.accountIds) : null;
    return this.single(request, party ? filterByPermissions('psuParty', toObParty(party), consent.permissions) : null, []);
  }

  /** The account's first party (in key order) in `accountRole`, or in any role; only that one is read. */
  private async firstParty(request: ObReadRequest, accountRole?: string): Promise<BankAccountParty | undefined> {
    const page = await this.bank.listAccountParties(accountsOf(request), { accountRole }, null, 1);
    this.responder.assertAvailable(request, page.unavailable);
    return page.items[0];
  }

  private async single(request: ObReadRequest, party: Record<string, unknown> | null, accountIds: string[]): Promise<OBReadParty2> {
    await this.responder.audit(request, 'party', accountIds, party ? 1 : 0);
    return { Data: party ? { Party: party } : ({} as { Party: Record<string, unknown> }), Links: this.responder.links(request.requestPath, null, 1), Meta: { TotalPages: 1 } };
  }
}
