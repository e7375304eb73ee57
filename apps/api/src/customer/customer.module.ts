import { Module } from '@nestjs/common';

import { CustomerAuthGuard } from './customer-auth.guard.js';
import { CustomerSessionStrategy } from './customer-session.strategy.js';
import { CustomerController } from './customer.controller.js';
import { CustomerPaymentConsentsService } from './customer-payment-consents.service.js';
import { CustomerService } from './customer.service.js';

@Module({ controllers: [CustomerController], providers: [CustomerService, CustomerPaymentConsentsService, CustomerSessionStrategy, CustomerAuthGuard] })
export class CustomerModule {}
