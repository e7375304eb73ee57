import { Injectable } from '@nestjs/common';

import { SessionAuthGuard } from '../sessions/session-auth.guard.js';
import { ADMIN_SESSION_STRATEGY } from './admin-session.strategy.js';

@Injectable()
export class AdminAuthGuard extends SessionAuthGuard(ADMIN_SESSION_STRATEGY) {}
