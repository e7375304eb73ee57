import { Module } from '@nestjs/common';

import { BeneficiariesModule } from '../beneficiaries/beneficiaries.module.js';
import { DirectDebitsModule } from '../direct-debits/direct-debits.module.js';
import { OffersModule } from '../offers/offers.module.js';
import { PartiesModule } from '../parties/parties.module.js';
import { ProductsModule } from '../products/products.module.js';
import { ScheduledPaymentsModule } from '../scheduled-payments/scheduled-payments.module.js';
import { StandingOrdersModule } from '../standing-orders/standing-orders.module.js';
import { StatementsModule } from '../statements/statements.module.js';

/** The AIS resources beyond accounts, balances and transactions, one module per OB resource. */
@Module({
  imports: [BeneficiariesModule, DirectDebitsModule, StandingOrdersModule, ScheduledPaymentsModule, StatementsModule, PartiesModule, ProductsModule, OffersModule],
})
export class AccountInformationModule {}
