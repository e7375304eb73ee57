import { Module } from '@nestjs/common';

import { CustomerAuthGuard } from './customer-auth.guard.js';
import { CustomerSessionStrategy } from './customer-session.strategy.js';
import { CustomerController } from './customer.controller.js';
import { CustomerService } from './customer.service.js';

@Module({ controllers: [CustomerController], providers: [CustomerService, CustomerSessionStrategy, CustomerAuthGuard] })
export class CustomerModule {}
