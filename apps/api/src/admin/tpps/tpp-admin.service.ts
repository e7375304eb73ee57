import { DataSource } from '@consentry/database';
import { ReinstateTpp, SuspendTpp, TppStatusCommand, tppView, TppView } from '@consentry/tpps';
import { Injectable } from '@nestjs/common';

import { ListTppsQueryDto } from './tpp-admin.dto.js';

/** The admin API's side of the TPP lifecycle (libs/tpps): list, suspend, reinstate. */
@Injectable()
export class TppAdminService {
  private readonly suspendTpp: SuspendTpp;
  private readonly reinstateTpp: ReinstateTpp;

  constructor(private readonly dataSource: DataSource) {
    this.suspendTpp = new SuspendTpp(dataSource);
    this.reinstateTpp = new ReinstateTpp(dataSource);
  }

  /** Every registered TPP (optionally of one status), by name. */
  async list(query: ListTppsQueryDto): Promise<{ tpps: TppView[] }> {
    const rows = await this.dataSource.query(
      `SELECT client_id, name, roles, status, created_at FROM tpp WHERE ($1::text IS NULL OR status = $1) ORDER BY name, client_id`,
      [query.status ?? null],
    );
    return { tpps: rows.map(tppView) };
  }

  suspend(command: TppStatusCommand): Promise<TppView> {
    return this.suspendTpp.execute(command);
  }

  reinstate(command: TppStatusCommand): Promise<TppView> {
    return this.reinstateTpp.execute(command);
  }
}
