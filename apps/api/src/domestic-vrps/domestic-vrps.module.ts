import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { DomesticVrpConsentsController } from './domestic-vrp-consents.controller.js';
import { DomesticVrpsController } from './domestic-vrps.controller.js';
import { DomesticVrpsService } from './domestic-vrps.service.js';

/** UK OB v4.0 domestic VRP: consents with ControlParameters, funds confirmation, VRPs and their status. */
@Module({
  imports: [SecurityModule],
  controllers: [DomesticVrpConsentsController, DomesticVrpsController],
  providers: [DomesticVrpsService],
})
export class DomesticVrpsModule {}
