import { Injectable } from '@nestjs/common';

import { SessionAuthGuard } from '../sessions/session-auth.guard.js';
import { CUSTOMER_SESSION_STRATEGY } from './customer-session.strategy.js';

@Injectable()
export class CustomerAuthGuard extends SessionAuthGuard(CUSTOMER_SESSION_STRATEGY) {}
