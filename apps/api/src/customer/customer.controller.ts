import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Delete, Get, HttpCode, Ip, Param, Post, Query, UseGuards } from '@nestjs/common';

import { InteractionId } from '../security/tpp-principal.js';
import { CreateSessionDto } from '../sessions/create-session.dto.js';
import { SessionToken, SessionUser } from '../sessions/session-auth.guard.js';
import { IssuedSession, SessionSubject } from '../sessions/session.store.js';
import { CustomerAuthGuard } from './customer-auth.guard.js';
import { CustomerPaymentConsentsPage, CustomerPaymentConsentsService, CustomerPaymentsPage } from './customer-payment-consents.service.js';
import { CancelledStandingOrder, CustomerConsentsPage, CustomerService } from './customer.service.js';
import { ConsentPaymentsQueryDto, ConsentsQueryDto, PaymentConsentsQueryDto } from './payment-consents-query.dto.js';

/** The PSU's own API: sign in with password + TOTP, see and revoke the consents they gave, cancel scheduled payments and standing orders. */
@Controller('customer')
export class CustomerController {
  constructor(
    private readonly customer: CustomerService,
    private readonly paymentConsents: CustomerPaymentConsentsService,
  ) {}

  @Post('sessions')
  @HttpCode(201)
  signIn(@Body() body: CreateSessionDto, @Ip() ip: string, @InteractionId() interactionId: string): Promise<IssuedSession> {
    return this.customer.signIn(body, ip, interactionId);
  }

  @Delete('sessions/current')
  @HttpCode(204)
  @UseGuards(CustomerAuthGuard)
  signOut(@SessionToken() token: string): Promise<void> {
    return this.customer.signOut(token);
  }

  /** The PSU's account-access consents, newest first, keyset-paged (`cursor`, `limit`): `{ consents, next }`. */
  @Get('consents')
  @UseGuards(CustomerAuthGuard)
  consents(@SessionUser() psu: SessionSubject, @Query() query: ConsentsQueryDto): Promise<CustomerConsentsPage> {
    return this.customer.listConsents(psu.subjectId, query);
  }

  /** The PSU's payment, VRP and funds-confirmation consents with their newest payments, newest first, keyset-paged. */
  @Get('payment-consents')
  @UseGuards(CustomerAuthGuard)
  paymentConsentList(@SessionUser() psu: SessionSubject, @Query() query: PaymentConsentsQueryDto): Promise<CustomerPaymentConsentsPage> {
    return this.paymentConsents.list(psu.subjectId, query);
  }

  /** One of the PSU's payment consents' payments, newest first, keyset-paged; another PSU's consent is 404. */
  @Get('payment-consents/:ConsentId/payments')
  @UseGuards(CustomerAuthGuard)
  async consentPayments(@SessionUser() psu: SessionSubject, @Param('ConsentId') consentId: string, @Query() query: ConsentPaymentsQueryDto): Promise<CustomerPaymentsPage> {
    const { payments, next } = await this.paymentConsents.payments(psu.subjectId, consentId, query);
    return { payments, next };
  }

  @Delete('consents/:ConsentId')
  @HttpCode(204)
  @UseGuards(CustomerAuthGuard)
  revoke(@SessionUser() psu: SessionSubject, @Param('ConsentId') consentId: string, @InteractionId() interactionId: string): Promise<void> {
    return this.customer.revokeConsent(psu.subjectId, consentId, interactionId);
  }

  /** The PSU cancels one of their scheduled payments before its date: 404 if not theirs, 409 once it ran or was cancelled. */
  @Delete('scheduled-payments/:PaymentId')
  @HttpCode(204)
  @UseGuards(CustomerAuthGuard)
  cancelScheduledPayment(@SessionUser() psu: SessionSubject, @Param('PaymentId', ObIdPipe) paymentId: string, @InteractionId() interactionId: string): Promise<void> {
    return this.customer.cancelScheduledPayment(psu.subjectId, paymentId, interactionId);
  }

  /**
   * The PSU cancels one of their standing orders: no run follows. 200 with whether a run already sent to
   * the bank may still be paid (`runWithBank`), as the dashboard tells them; 404 if not theirs, 409 once it ended.
   */
  @Delete('standing-orders/:DomesticStandingOrderId')
  @HttpCode(200)
  @UseGuards(CustomerAuthGuard)
  cancelStandingOrder(
    @SessionUser() psu: SessionSubject,
    @Param('DomesticStandingOrderId', ObIdPipe) standingOrderId: string,
    @InteractionId() interactionId: string,
  ): Promise<CancelledStandingOrder> {
    return this.customer.cancelStandingOrder(psu.subjectId, standingOrderId, interactionId);
  }
}
