import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { DirectDebitsController } from './direct-debits.controller.js';
import { DirectDebitsService } from './direct-debits.service.js';

@Module({ imports: [SecurityModule], controllers: [DirectDebitsController], providers: [DirectDebitsService] })
export class DirectDebitsModule {}
