import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

import { TppStatusCommand } from './tpp-status.command.js';
import { transitionTpp, TppView } from './tpp-status.transition.js';

/**
 * An administrator suspends an Active TPP: from the next request on it gets nothing, neither tokens at
 * the auth server nor data at the API, whatever tokens it holds. Its consents and tokens are kept, so a
 * reinstatement resumes them (rotate its keys first if they may be compromised).
 */
@Injectable()
export class SuspendTpp {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: TppStatusCommand): Promise<TppView> {
    return transitionTpp(this.dataSource, command, 'Active', 'Suspended', 'tpp.suspended');
  }
}
