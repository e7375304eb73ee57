import { InvalidCursorError } from '@consentry/banking';
import { DataSource } from '@consentry/database';
import { ReinstateTpp, SuspendTpp, TppRow, TppStatusCommand, tppView, TppView } from '@consentry/tpps';
import { isUnstorableText } from '@consentry/validation';
import { Injectable } from '@nestjs/common';

import { ListTppsQueryDto, TPP_NAME_MAX_LENGTH, TPPS_DEFAULT_LIMIT, TPPS_MAX_LIMIT } from './tpp-admin.dto.js';

/** GET /admin/tpps: a page of TPPs, and the cursor of the next one (null on the last). */
export interface TppListPage {
  tpps: TppView[];
  next: string | null;
}

interface TppKey {
  name: string;
  clientId: string;
}

function encodeTppCursor(key: TppKey): string {
  return Buffer.from(JSON.stringify([key.name, key.clientId])).toString('base64url');
}

/**
 * The key a cursor stands for; anything this API did not issue is refused, never guessed at. The name is
 * any a registration could give (up to 200 UTF-16 units, software-statement.verifier.ts), control
 * characters included for TPPs registered before 8 December 2026: until then a name with a tab, or of 200
 * CJK characters, made the API refuse its own cursor and hid every TPP listed after it. Only text
 * PostgreSQL cannot hold (U+0000, half a surrogate pair), which no name holds, is refused here.
 */
function decodeTppCursor(cursor: string): TppKey {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const isName = (name: unknown): name is string => typeof name === 'string' && name.length <= TPP_NAME_MAX_LENGTH && !isUnstorableText(name);
    if (Array.isArray(parsed) && parsed.length === 2 && isName(parsed[0]) && typeof parsed[1] === 'string' && /^[\x21-\x7e]{1,200}$/.test(parsed[1])) {
      return { name: parsed[0], clientId: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('The page cursor is not valid');
}

/** The admin API's side of the TPP lifecycle (libs/tpps): list, suspend, reinstate. */
@Injectable()
export class TppAdminService {
  private readonly suspendTpp: SuspendTpp;
  private readonly reinstateTpp: ReinstateTpp;

  constructor(private readonly dataSource: DataSource) {
    this.suspendTpp = new SuspendTpp(dataSource);
    this.reinstateTpp = new ReinstateTpp(dataSource);
  }

  /** The registered TPPs (optionally of one status), by name then client id, a keyset page at a time. */
  async list(query: ListTppsQueryDto): Promise<TppListPage> {
    const limit = Math.min(query.limit ?? TPPS_DEFAULT_LIMIT, TPPS_MAX_LIMIT);
    const after = query.cursor ? decodeTppCursor(query.cursor) : null;
    const rows: TppRow[] = await this.dataSource.query(
      `SELECT client_id, name, roles, status, created_at FROM tpp
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR (name, client_id) > ($2, $3::text))
        ORDER BY name, client_id LIMIT $4`,
      [query.status ?? null, after?.name ?? null, after?.clientId ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { tpps: page.map(tppView), next: rows.length > limit && last ? encodeTppCursor({ name: last.name, clientId: last.client_id }) : null };
  }

  suspend(command: TppStatusCommand): Promise<TppView> {
    return this.suspendTpp.execute(command);
  }

  reinstate(command: TppStatusCommand): Promise<TppView> {
    return this.reinstateTpp.execute(command);
  }
}
