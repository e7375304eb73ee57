import { DataSource } from '@consentry/database';
import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';

import { DATA_SOURCE } from '../auth-server.tokens.js';

/** Liveness and readiness for the orchestrator: the database answers. */
@Controller('health')
export class HealthController {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get()
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({ status: 'unavailable' });
    }
    return { status: 'ok' };
  }
}
