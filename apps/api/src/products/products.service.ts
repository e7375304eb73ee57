import { AggregatedBank, BankProduct } from '@consentry/banking';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadProduct2 */
export type OBReadProduct2 = ObReadResponse<'Product'>;

function toObProduct(product: BankProduct): Record<string, unknown> {
  return {
    AccountId: product.accountId,
    ProductId: product.productId,
    ProductName: product.productName,
    ProductType: product.productType,
    ...(product.secondaryProductId ? { SecondaryProductId: product.secondaryProductId } : {}),
    ...(product.marketingStateId ? { MarketingStateId: product.marketingStateId } : {}),
  };
}

@Injectable()
export class ProductsService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  async read(request: ObReadRequest): Promise<OBReadProduct2> {
    return this.responder.respondPage(request, { resource: 'products', rule: 'product', dataKey: 'Product', list: (ids, cursor, size) => this.bank.listProducts(ids, cursor, size), toOb: toObProduct });
  }
}
