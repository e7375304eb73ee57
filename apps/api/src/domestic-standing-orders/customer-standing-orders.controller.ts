import { DataSource } from '@consentry/database';
import { Controller, Delete, HttpCode, Param, UseGuards } from '@nestjs/common';

import { CustomerAuthGuard } from '../customer/customer-auth.guard.js';
import { SessionUser } from '../sessions/session-auth.guard.js';
import { SessionSubject } from '../sessions/session.store.js';
import { InteractionId } from '../security/tpp-principal.js';
import { CancelStandingOrder } from './cancel-standing-order.use-case.js';

/** The PSU's own standing orders, on the customer API (their session). */
@Controller('customer/standing-orders')
export class CustomerStandingOrdersController {
  private readonly cancelUseCase: CancelStandingOrder;

  constructor(dataSource: DataSource) {
    this.cancelUseCase = new CancelStandingOrder(dataSource);
  }

  @Delete(':DomesticStandingOrderId')
  @HttpCode(204)
  @UseGuards(CustomerAuthGuard)
  cancel(@SessionUser() psu: SessionSubject, @Param('DomesticStandingOrderId') standingOrderId: string, @InteractionId() interactionId: string): Promise<void> {
    return this.cancelUseCase.execute({ standingOrderId, psuId: psu.subjectId, interactionId });
  }
}
