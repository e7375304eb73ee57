import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';

@Module({ imports: [SecurityModule], controllers: [ProductsController], providers: [ProductsService] })
export class ProductsModule {}
