import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { BeneficiariesController } from './beneficiaries.controller.js';
import { BeneficiariesService } from './beneficiaries.service.js';

@Module({ imports: [SecurityModule], controllers: [BeneficiariesController], providers: [BeneficiariesService] })
export class BeneficiariesModule {}
