import { CreatePaymentConsent, PaymentApprovalSeal, paymentConsentOfClient, readStandingOrderSchedule, type StandingOrderSchedule } from '@consentry/consents';
import { DataSource, JsonObject, PaymentConsentEntity } from '@consentry/database';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { MAX_PAGE_SIZE } from '@consentry/banking';
import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable } from '@nestjs/common';

import { ObPaymentDetails, paymentConsentStatusData, paymentDetailsOf, plain, StatusReason, statusReason } from '../domestic-payments/domestic-payments.service.js';
import { API_CONFIG, CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import type { PaymentWrite } from '../security/payment-write.pipeline.js';
import { OBWriteDomesticStandingOrder3Dto, OBWriteDomesticStandingOrderConsent5Dto } from './domestic-standing-order.dto.js';
import { decodeRunPageCursor, readStandingOrderRunPage } from './standing-order-run-page.js';
import { DomesticStandingOrderRow, submitDomesticStandingOrder } from './submit-domestic-standing-order.use-case.js';

/** OBWriteDomesticStandingOrderConsentResponse6 */
export interface OBWriteDomesticStandingOrderConsentResponse6 {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    Permission: 'Create';
    ReadRefundAccount?: 'Yes' | 'No';
    Initiation: JsonObject;
  };
  Risk: JsonObject;
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBWriteDomesticStandingOrderResponse6 */
export interface OBWriteDomesticStandingOrderResponse6 {
  Data: {
    DomesticStandingOrderId: string;
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    Initiation: JsonObject;
  };
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBWritePaymentDetailsResponse1: one entry per run paid or refused, oldest first, a page at a time. */
export interface StandingOrderPaymentDetails {
  Data: { PaymentStatus: ObPaymentDetails[] };
  Links: ObLinks;
  Meta: ObMeta;
}

export const STANDING_ORDER_CONSENTS_PATH = `${PISP_BASE_PATH}/domestic-standing-order-consents`;
export const STANDING_ORDERS_PATH = `${PISP_BASE_PATH}/domestic-standing-orders`;

/**
 * The schedule of an Initiation the bank can run, or its refusal (U025 for the Frequency, U002 otherwise),
 * before the idempotency key and anything is written: it says the same whenever it is asked.
 */
export function runnableStandingOrderSchedule(initiation: JsonObject): StandingOrderSchedule {
  const read = readStandingOrderSchedule(initiation);
  if ('problem' in read) {
    const code = read.problem.kind === 'frequency' ? ObErrorCode.UnsupportedFrequency : ObErrorCode.FieldInvalid;
    throw ObErrorException.badRequest(code, read.problem.message, read.problem.path);
  }
  return read.schedule;
}

/**
 * Refuses a schedule whose first run is not ahead (U003, as a scheduled payment's date: the worker would
 * otherwise pay every missed run at once). Checked when the consent is created and again when the order is
 * made, in the write's stage: after the idempotency key, so the same request sent again once the date has
 * passed gets its first answer (until 7 December 2026 it was refused U003, and a TPP that lost the first
 * answer would make the order again while the first one stood).
 */
export function assertFirstRunAhead(schedule: StandingOrderSchedule, now = new Date()): void {
  if (!(schedule.first.at.getTime() > now.getTime())) {
    throw ObErrorException.badRequest(ObErrorCode.FieldInvalidDate, 'FirstPaymentDateTime must be in the future', 'Data.Initiation.MandateRelatedInformation.FirstPaymentDateTime');
  }
}

@Injectable()
export class DomesticStandingOrdersService {
  private readonly createConsentUseCase: CreatePaymentConsent;
  private readonly pageSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publicUrl: PublicUrl,
    private readonly approvals: PaymentApprovalSeal,
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.createConsentUseCase = new CreatePaymentConsent(dataSource);
    this.pageSize = Math.min(config.pageSize, MAX_PAGE_SIZE);
  }

  /** Consent creation, as a PaymentWrite (PaymentWritePipeline: signed and idempotent). */
  createConsent(clientId: string, body: OBWriteDomesticStandingOrderConsent5Dto, interactionId: string): PaymentWrite<PaymentConsentEntity, OBWriteDomesticStandingOrderConsentResponse6> {
    const initiation = plain(body.Data.Initiation);
    const schedule = runnableStandingOrderSchedule(initiation);
    return {
      stage: (manager) => {
        assertFirstRunAhead(schedule);
        return this.createConsentUseCase.execute(
          { clientId, kind: 'domestic-standing-order', initiation, risk: plain(body.Risk), readRefundAccount: body.Data.ReadRefundAccount, interactionId },
          manager,
        );
      },
      render: (consent) => this.consentResponse(consent),
    };
  }

  async getConsent(clientId: string, consentId: string): Promise<OBWriteDomesticStandingOrderConsentResponse6> {
    return this.consentResponse(await paymentConsentOfClient(this.dataSource, consentId, clientId, 'domestic-standing-order'));
  }

  /** The order, as a PaymentWrite: staged with the idempotency key (U009, U008: its Initiation and Risk); the worker pays its runs. */
  createOrder(clientId: string, body: OBWriteDomesticStandingOrder3Dto, interactionId: string): PaymentWrite<DomesticStandingOrderRow, OBWriteDomesticStandingOrderResponse6> {
    const schedule = runnableStandingOrderSchedule(plain(body.Data.Initiation));
    return {
      stage: (manager) => {
        assertFirstRunAhead(schedule);
        return submitDomesticStandingOrder(manager, this.approvals, { clientId, consentId: body.Data.ConsentId, initiation: plain(body.Data.Initiation), risk: plain(body.Risk), interactionId });
      },
      render: (order) => this.orderResponse(order),
    };
  }

  async getOrder(clientId: string, standingOrderId: string): Promise<OBWriteDomesticStandingOrderResponse6> {
    return this.orderResponse(await this.orderOf(clientId, standingOrderId));
  }

  /** The runs the worker has made, oldest first, a page at a time (`page`: a cursor from Links). */
  async paymentDetails(clientId: string, standingOrderId: string, page?: string): Promise<StandingOrderPaymentDetails> {
    const cursor = page ? decodeRunPageCursor(page) : null;
    const order = await this.orderOf(clientId, standingOrderId);
    const runs = await readStandingOrderRunPage(this.dataSource, order.standingOrderId, cursor, this.pageSize);
    const path = `/${STANDING_ORDERS_PATH}/${encodeURIComponent(order.standingOrderId)}/payment-details`;
    const at = (cursorOf: string | null) => this.publicUrl.of(cursorOf ? `${path}?page=${cursorOf}` : path);
    return {
      Data: {
        PaymentStatus: runs.runs.map((run) => paymentDetailsOf(run)),
      },
      Links: {
        Self: at(page ?? null),
        First: at(null),
        ...(runs.prev ? { Prev: at(runs.prev) } : {}),
        ...(runs.next ? { Next: at(runs.next) } : {}),
        ...(runs.last ? { Last: at(runs.last) } : {}),
      },
      Meta: { TotalPages: Math.ceil(runs.total / this.pageSize) },
    };
  }

  private async orderOf(clientId: string, standingOrderId: string): Promise<DomesticStandingOrderRow & { failedRunReason: string | null }> {
    // A TPP reads only its own orders; another TPP's is "not found". Read from the primary, always.
    const [row]: Array<{
      standing_order_id: string;
      consent_id: string;
      client_id: string;
      status: string;
      initiation: JsonObject;
      next_run_index: number;
      creation_date_time: Date;
      status_update_date_time: Date;
      failed_run_reason: string | null;
    }> = await this.dataSource.query(
      // An order that ended INFA: why its last run was rejected (AM04, FR01, ...).
      `SELECT o.standing_order_id, o.consent_id, o.client_id, o.status, o.initiation, o.next_run_index, o.creation_date_time, o.status_update_date_time,
              CASE WHEN o.status = 'INFA' THEN (SELECT r.status_reason FROM standing_order_run r
                                                 WHERE r.standing_order_id = o.standing_order_id AND r.run_index = o.next_run_index - 1) END AS failed_run_reason
         FROM domestic_standing_order o WHERE o.standing_order_id = $1 AND o.client_id = $2`,
      [standingOrderId, clientId],
    );
    if (!row) throw new ObErrorException(404, [{ ErrorCode: ObErrorCode.ResourceNotFound, Message: 'No such standing order', Path: 'DomesticStandingOrderId' }]);
    return {
      standingOrderId: row.standing_order_id,
      consentId: row.consent_id,
      clientId: row.client_id,
      status: row.status,
      initiation: row.initiation,
      nextRunIndex: row.next_run_index,
      creationDateTime: row.creation_date_time,
      statusUpdateDateTime: row.status_update_date_time,
      failedRunReason: row.failed_run_reason,
    };
  }

  private orderResponse(order: DomesticStandingOrderRow & { failedRunReason?: string | null }): OBWriteDomesticStandingOrderResponse6 {
    const reason = order.status === 'INFA' ? statusReason(order.failedRunReason ?? null, 'The last payment of the standing order was rejected') : undefined;
    return {
      Data: {
        DomesticStandingOrderId: order.standingOrderId,
        ConsentId: order.consentId,
        CreationDateTime: obDateTime(order.creationDateTime),
        Status: order.status,
        ...(reason ? { StatusReason: reason } : {}),
        StatusUpdateDateTime: obDateTime(order.statusUpdateDateTime),
        Initiation: order.initiation,
      },
      Links: { Self: this.publicUrl.of(`/${STANDING_ORDERS_PATH}/${encodeURIComponent(order.standingOrderId)}`) },
      Meta: {},
    };
  }

  private consentResponse(consent: PaymentConsentEntity): OBWriteDomesticStandingOrderConsentResponse6 {
    return {
      Data: { ...paymentConsentStatusData(consent, this.statusClock()), Permission: 'Create', Initiation: consent.initiation },
      Risk: consent.risk,
      Links: { Self: this.publicUrl.of(`/${STANDING_ORDER_CONSENTS_PATH}/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }
}
