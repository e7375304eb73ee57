import { ConnectorUnavailableError, ListCursor, ListPage, MAX_PAGE_SIZE } from '@consentry/banking';
import type { ApiConfig } from '@consentry/config';
import type { ConsentAccess } from '@consentry/consents';
import { filterByPermissions, PermissionedResource } from '@consentry/redaction';
import { Inject, Injectable } from '@nestjs/common';

import { API_CONFIG } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { TppPrincipal } from '../security/tpp-principal.js';
import { AccessedResource, DataAccessAuditor } from './data-access.auditor.js';
import { decodePageCursor, encodePageKey, encodePrevPageKey, LAST_PAGE_CURSOR } from './ob-page.js';
import { markUnavailable, ObLinks, ObReadResponse } from './ob-response.js';

/** Who asks for which accounts' data, as every OB read knows it after the guards. */
export interface ObReadRequest {
  principal: TppPrincipal;
  consent: ConsentAccess;
  /** One account (path parameter), or every account of the consent when absent. */
  accountId?: string;
  requestPath: string;
  interactionId: string;
  /** Keyset cursor from Links.Next, Prev or Last. */
  page?: string;
}

/** An OB list read page by page from the banks (the connectors page in SQL): what respondPage needs. */
export interface ObPagedListSpec<K extends string, T extends { accountId: string }> {
  resource: AccessedResource;
  rule: PermissionedResource;
  dataKey: K;
  /** One page of the list for these accounts, from the banks (AggregatedBank's paged lists). */
  list(accountIds: string[], cursor: ListCursor | null, pageSize: number): Promise<ListPage<T>>;
  toOb(item: T): Record<string, unknown>;
}

/** The accounts a read covers: the path's one, or the consent's. */
export function accountsOf(request: ObReadRequest): string[] {
  return request.accountId ? [request.accountId] : request.consent.accountIds;
}

/** Answers the OB AIS lists, page by page, as the banks page them (see respondPage). */
@Injectable()
export class ObListResponder {
  private readonly pageSize: number;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    private readonly auditor: DataAccessAuditor,
    private readonly publicUrl: PublicUrl,
  ) {
    this.pageSize = Math.min(config.pageSize, MAX_PAGE_SIZE);
  }

  get size(): number {
    return this.pageSize;
  }

  /** A single-account read whose bank is down, or a bulk read where every bank is down, fails as a whole. */
  assertAvailable(request: ObReadRequest, unavailable: readonly string[]): void {
    const asked = accountsOf(request);
    if (unavailable.length > 0 && unavailable.length >= asked.length) {
      throw new ConnectorUnavailableError('aggregate', 'The bank holding the account cannot be reached');
    }
  }

  /**
   * Turns one page of a list the banks page themselves (only this page's records are read; the banks
   * count the rest) into an OB list response: bank outages handled, each record cut to the consent's
   * permissions, Links (the keys the banks' page reports) and Meta.TotalPages set, and the access
   * audited before the data leaves.
   */
  async respondPage<K extends string, T extends { accountId: string }>(request: ObReadRequest, spec: ObPagedListSpec<K, T>): Promise<ObReadResponse<K>> {
    const cursor = request.page ? decodePageCursor(request.page) : null;
    const page = await spec.list(accountsOf(request), cursor, this.pageSize);
    this.assertAvailable(request, page.unavailable);
    const shown = page.items.flatMap((item) => filterByPermissions(spec.rule, spec.toOb(item), request.consent.permissions) ?? []);
    await this.audit(request, spec.resource, [...new Set(page.items.map((item) => item.accountId))], shown.length);
    const body = {
      Data: { [spec.dataKey]: shown } as Record<K, Array<Record<string, unknown>>>,
      Links: this.links(request.requestPath, page.nextAfter ? encodePageKey(page.nextAfter) : null, page.totalPages, {
        prev: page.prevBefore ? encodePrevPageKey(page.prevBefore) : null,
        last: page.totalPages > 1 ? LAST_PAGE_CURSOR : null,
      }),
      Meta: { TotalPages: page.totalPages },
    };
    return markUnavailable(body, page.unavailable);
  }

  audit(request: ObReadRequest, resource: AccessedResource, accountIds: string[], count: number): Promise<void> {
    return this.auditor.record({ resource, principal: request.principal, consent: request.consent, accountIds, count, interactionId: request.interactionId });
  }

  /**
   * Self as called; when the result spans pages, First (no cursor) and Last, and Prev (before this page's
   * first key) and Next (after its last key) where there is such a page.
   */
  links(requestPath: string, next: string | null, totalPages: number, around: { prev?: string | null; last?: string | null } = {}): ObLinks {
    const links: ObLinks = { Self: this.publicUrl.of(requestPath) };
    if (totalPages > 1) links.First = this.publicUrl.of(withPage(requestPath, null));
    if (around.prev) links.Prev = this.publicUrl.of(withPage(requestPath, around.prev));
    if (next) links.Next = this.publicUrl.of(withPage(requestPath, next));
    if (totalPages > 1 && around.last) links.Last = this.publicUrl.of(withPage(requestPath, around.last));
    return links;
  }
}

/** The request path with its `page` parameter set to `cursor` (or removed), other parameters kept. */
export function withPage(requestPath: string, cursor: string | null): string {
  const url = new URL(requestPath, 'http://placeholder');
  if (cursor) url.searchParams.set('page', cursor);
  else url.searchParams.delete('page');
  const query = url.searchParams.toString();
  return `${url.pathname}${query ? `?${query}` : ''}`;
}
