import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import type { ApiConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import type { EntityManager } from '@consentry/database';
import { CallbackUrlRefused, checkCallbackUrl, isObEventType, OB_EVENT_VERSION } from '@consentry/tpps';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { API_CONFIG } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { ChangedEventSubscriptionDataDto, EventSubscriptionDataDto } from './event-subscription.dto.js';

export const EVENT_SUBSCRIPTIONS_PATH = '/open-banking/v4.0/event-subscriptions';

interface EventSubscriptionRow {
  event_subscription_id: string;
  callback_url: string | null;
  event_types: string[] | null;
  version: string;
}

export interface EventSubscriptionData {
  EventSubscriptionId: string;
  CallbackUrl?: string;
  Version: string;
  EventTypes?: string[];
}

export interface OBEventSubscriptionResponse1 {
  Data: EventSubscriptionData;
  Links: { Self: string };
  Meta: Record<string, never>;
}

export interface OBEventSubscriptionsResponse1 {
  Data: { EventSubscription: EventSubscriptionData[] };
  Links: { Self: string };
  Meta: Record<string, never>;
}

/** What the audit keeps of a subscription: the callback's host, never its path or query (they may carry a TPP's secret). */
function auditedSubscription(row: EventSubscriptionRow): Record<string, unknown> {
  return {
    eventSubscriptionId: row.event_subscription_id,
    callbackHost: row.callback_url === null ? null : new URL(row.callback_url).host,
    eventTypes: row.event_types,
  };
}

function notFound(): ObErrorException {
  return new ObErrorException(404, [{ ErrorCode: ObErrorCode.ResourceNotFound, Message: 'No such event subscription', Path: 'EventSubscriptionId' }]);
}

/** A TPP's event subscription (UK OB Event Notification API): at most one per TPP. */
@Injectable()
export class EventSubscriptionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publicUrl: PublicUrl,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async create(clientId: string, data: EventSubscriptionDataDto, interactionId: string): Promise<OBEventSubscriptionResponse1> {
    const fields = await this.checked(data);
    const row = await this.dataSource.transaction(async (manager) => {
      const [inserted]: EventSubscriptionRow[] = await manager.query(
        `INSERT INTO event_subscription (event_subscription_id, client_id, callback_url, event_types, version)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (client_id) DO NOTHING
         RETURNING event_subscription_id, callback_url, event_types, version`,
        [`evs-${randomUUID()}`, clientId, fields.callbackUrl, fields.eventTypes, fields.version],
      );
      if (!inserted) {
        throw new ObErrorException(409, [{ ErrorCode: ObErrorCode.ResourceAlreadyExists, Message: 'The TPP already has an event subscription: change it with PUT' }]);
      }
      await this.audit(manager, 'event.subscription-created', clientId, interactionId, inserted);
      return inserted;
    });
    return this.single(row);
  }

  async list(clientId: string): Promise<OBEventSubscriptionsResponse1> {
    const rows: EventSubscriptionRow[] = await this.dataSource.query(
      `SELECT event_subscription_id, callback_url, event_types, version FROM event_subscription WHERE client_id = $1`,
      [clientId],
    );
    return { Data: { EventSubscription: rows.map((row) => this.data(row)) }, Links: { Self: this.publicUrl.of(EVENT_SUBSCRIPTIONS_PATH) }, Meta: {} };
  }

  async change(clientId: string, eventSubscriptionId: string, data: ChangedEventSubscriptionDataDto, interactionId: string): Promise<OBEventSubscriptionResponse1> {
    if (data.EventSubscriptionId !== eventSubscriptionId) {
      throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, 'Data.EventSubscriptionId differs from the path', 'Data.EventSubscriptionId');
    }
    const fields = await this.checked(data);
    const row = await this.dataSource.transaction(async (manager) => {
      const [rows]: [EventSubscriptionRow[], number] = await manager.query(
        `UPDATE event_subscription SET callback_url = $3, event_types = $4, version = $5, updated_at = now()
          WHERE event_subscription_id = $1 AND client_id = $2
          RETURNING event_subscription_id, callback_url, event_types, version`,
        [eventSubscriptionId, clientId, fields.callbackUrl, fields.eventTypes, fields.version],
      );
      const [updated] = rows;
      if (!updated) throw notFound();
      await this.audit(manager, 'event.subscription-updated', clientId, interactionId, updated);
      return updated;
    });
    return this.single(row);
  }

  async delete(clientId: string, eventSubscriptionId: string, interactionId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [rows]: [EventSubscriptionRow[], number] = await manager.query(
        `DELETE FROM event_subscription WHERE event_subscription_id = $1 AND client_id = $2
          RETURNING event_subscription_id, callback_url, event_types, version`,
        [eventSubscriptionId, clientId],
      );
      const [deleted] = rows;
      if (!deleted) throw notFound();
      await this.audit(manager, 'event.subscription-deleted', clientId, interactionId, deleted);
    });
  }

  /** The rules of a subscription's Data: version 4.0, known event types (U024), a callback that is safe to call. */
  private async checked(data: EventSubscriptionDataDto): Promise<{ callbackUrl: string | null; eventTypes: string[] | null; version: string }> {
    if (data.Version !== OB_EVENT_VERSION) {
      throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, `Version must be ${OB_EVENT_VERSION}`, 'Data.Version');
    }
    const unknown = (data.EventTypes ?? []).find((type) => !isObEventType(type));
    if (unknown !== undefined) {
      throw ObErrorException.badRequest(ObErrorCode.UnsupportedEventType, 'An event type is not one the bank notifies', 'Data.EventTypes');
    }
    if (data.CallbackUrl !== undefined) {
      try {
        await checkCallbackUrl(data.CallbackUrl, { sandbox: this.config.mode === 'sandbox' });
      } catch (error) {
        if (error instanceof CallbackUrlRefused) throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, error.message, 'Data.CallbackUrl');
        throw error;
      }
    }
    return { callbackUrl: data.CallbackUrl ?? null, eventTypes: data.EventTypes ? [...new Set(data.EventTypes)] : null, version: data.Version };
  }

  private audit(
    manager: EntityManager,
    type: 'event.subscription-created' | 'event.subscription-updated' | 'event.subscription-deleted',
    clientId: string,
    interactionId: string,
    row: EventSubscriptionRow,
  ): Promise<unknown> {
    return recordAuditEvent(manager, { type, actor: { type: 'tpp', id: clientId }, clientId, interactionId, data: auditedSubscription(row) });
  }

  private data(row: EventSubscriptionRow): EventSubscriptionData {
    return {
      EventSubscriptionId: row.event_subscription_id,
      ...(row.callback_url === null ? {} : { CallbackUrl: row.callback_url }),
      Version: row.version,
      ...(row.event_types === null ? {} : { EventTypes: row.event_types }),
    };
  }

  private single(row: EventSubscriptionRow): OBEventSubscriptionResponse1 {
    return { Data: this.data(row), Links: { Self: this.publicUrl.of(`${EVENT_SUBSCRIPTIONS_PATH}/${row.event_subscription_id}`) }, Meta: {} };
  }
}
