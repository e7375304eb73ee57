import { AggregatedBank, BankOffer } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { obAmount, obDateTime, ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadOffer1 */
export type OBReadOffer1 = ObReadResponse<'Offer'>;

function toObOffer(offer: BankOffer): Record<string, unknown> {
  return {
    AccountId: offer.accountId,
    OfferId: offer.offerId,
    OfferType: offer.offerType,
    Description: offer.description,
    ...(offer.startDateTime ? { StartDateTime: obDateTime(offer.startDateTime) } : {}),
    ...(offer.endDateTime ? { EndDateTime: obDateTime(offer.endDateTime) } : {}),
    ...(offer.rate ? { Rate: offer.rate } : {}),
    ...(offer.term ? { Term: offer.term } : {}),
    ...(offer.url ? { URL: offer.url } : {}),
    ...(offer.amount ? { Amount: obAmount(offer.amount, offer.currency) } : {}),
    ...(offer.fee ? { Fee: obAmount(offer.fee, offer.currency) } : {}),
  };
}

@Injectable()
export class OffersService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async read(request: ObReadRequest): Promise<OBReadOffer1> {
    return this.responder.respondPage(request, { resource: 'offers', rule: 'offer', dataKey: 'Offer', list: (ids, cursor, size) => this.bank.listOffers(ids, cursor, size), toOb: toObOffer });
  }
}
