import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { PartiesController } from './parties.controller.js';
import { PartiesService } from './parties.service.js';

@Module({ imports: [SecurityModule], controllers: [PartiesController], providers: [PartiesService] })
export class PartiesModule {}
