import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { ListTppsQueryDto } from './tpp-admin.dto.js';
import { tppView, TppView } from './tpp-status.transition.js';

@Injectable()
export class TppAdminService {
  constructor(private readonly dataSource: DataSource) {}

  /** Every registered TPP (optionally of one status), by name. */
  async list(query: ListTppsQueryDto): Promise<{ tpps: TppView[] }> {
    const rows = await this.dataSource.query(
      `SELECT client_id, name, roles, status, created_at FROM tpp WHERE ($1::text IS NULL OR status = $1) ORDER BY name, client_id`,
      [query.status ?? null],
    );
    return { tpps: rows.map(tppView) };
  }
}
