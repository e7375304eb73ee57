import { Module } from '@nestjs/common';

import { AdminAuthGuard } from './admin-auth.guard.js';
import { AdminSessionStrategy } from './admin-session.strategy.js';
import { AdminController } from './admin.controller.js';
import { AdminService } from './admin.service.js';

@Module({ controllers: [AdminController], providers: [AdminService, AdminSessionStrategy, AdminAuthGuard] })
export class AdminModule {}
