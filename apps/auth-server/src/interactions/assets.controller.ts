import { Controller, Get, Header } from '@nestjs/common';

import { INTERACTION_STYLESHEET } from './interaction.views.js';

/** The pages' stylesheet, served by us: the CSP allows styles from 'self' only, and no inline ones. */
@Controller('assets')
export class AssetsController {
  @Get('interaction.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  stylesheet(): string {
    return INTERACTION_STYLESHEET;
  }
}
