import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { TppStatusCommand } from './tpp-status.command.js';
import { transitionTpp, TppView } from './tpp-status.transition.js';

/**
 * An administrator reinstates a Suspended TPP. A Deregistered TPP (it deleted its own registration) is
 * not reinstated: it registers again.
 */
@Injectable()
export class ReinstateTpp {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: TppStatusCommand): Promise<TppView> {
    return transitionTpp(this.dataSource, command, 'Suspended', 'Active', 'tpp.reinstated');
  }
}
