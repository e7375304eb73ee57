import {
  describeStandingOrder,
  AuthoriseAccountAccessConsent,
  AuthorisePaymentConsent,
  ConsentException,
  ConsentExceptionCode,
  describePermissions,
  isRecurringPaymentConsent,
  ReauthenticateAccountAccessConsent,
  RejectAccountAccessConsent,
  RejectPaymentConsent,
  summariseInitiation,
  VrpControlParameters,
} from '@consentry/consents';
import { CredentialAuthenticator } from '@consentry/identity';
import { annotateRequest } from '@consentry/observability';
import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Grant, Interaction, InteractionResults } from 'oidc-provider';

import { FAPI_INTERACTION_ID_HEADER, fapiInteractionIdOf } from '../fapi-interaction-id.js';
import { SCA_ACR } from '../provider/configuration.js';
import { OidcProviderRef } from '../provider/oidc-provider.ref.js';
import { OPENBANKING_INTENT_ID, requestedIntentId } from '../provider/openbanking-intent.js';
import { AnyConsentRequest, AuthorizationRefusedException, ConsentRequest, ConsentRequestService, PaymentConsentRequest } from './consent-request.service.js';
import { InteractionActivity } from './interaction-activity.js';
import { InteractionCsrf } from './interaction-csrf.js';
import { interactionGrantId, isInteractionGrant } from './interaction-grant.js';
import { InteractionException, InteractionExceptionCode } from './interaction.exception.js';
import { InteractionExceptionFilter } from './interaction.exception-filter.js';
import { parseConsentForm, parseCsrfForm, parseLoginForm } from './interaction.forms.js';
import { consentPage, formatLondonDateTime, fundsConfirmationPage, loginPage, paymentPage, reconfirmPage, vrpPage } from './interaction.views.js';
import { redirectAfterPost, sendPage } from './page-response.js';

const GENERIC_LOGIN_FAILURE = 'The username, password or one-time code is not correct.';

const SECONDS_PER_DAY = 24 * 60 * 60;

// A domestic payment grant is used once, right away (no refresh token): an hour bounds it. A
// funds-confirmation grant is used until its consent ends (isRecurringPaymentConsent, from the consent state machine).
const PAYMENT_GRANT_SECONDS = 60 * 60;

function throttledMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many failed sign-in attempts from your network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or cancel and return to the app.`;
}

/** Seconds until the consent expires (at most a year): the grant, and every token under it, ends then. */
function grantLifetime(expirationDateTime: Date | null): number {
  const cap = 365 * SECONDS_PER_DAY;
  if (!expirationDateTime) return cap;
  // Rounded down: the grant, and every refresh token capped at it, never outlives the consent.
  return Math.max(1, Math.min(cap, Math.floor((expirationDateTime.getTime() - Date.now()) / 1000)));
}

/**
 * What a refused approval means for the journey: the PSU picked accounts they cannot use and chooses
 * again, or the consent cannot be authorised any more and the journey ends at the TPP.
 */
function approvalFailure(code: ConsentExceptionCode): 'choose-again' | 'ended' {
  switch (code) {
    case ConsentExceptionCode.AccountNotOwned:
    case ConsentExceptionCode.NoAccountSelected:
    case ConsentExceptionCode.DebtorAccountUnfit:
      return 'choose-again';
    case ConsentExceptionCode.NotFound:
    case ConsentExceptionCode.InvalidStatus:
    case ConsentExceptionCode.Expired:
    case ConsentExceptionCode.InvalidPermissions:
    case ConsentExceptionCode.InvalidDate:
    case ConsentExceptionCode.ConsentMismatch:
    case ConsentExceptionCode.ControlParametersBreached:
    case ConsentExceptionCode.TppNotActive:
      return 'ended';
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled consent exception ${String(unhandled)}`);
    }
  }
}

/**
 * The PSU's side of an authorization (node-oidc-provider `example/routes/express.js`): GET shows the
 * step the provider asks for (login, then consent); each POST checks the CSRF token and the expected
 * step, then ends with `interactionFinished`, which redirects back into the provider.
 *
 * An interaction is answered once. A request for one that has its result already (a double-clicked
 * Approve, Deny after Approve, a reload) is only sent on to the same resume; the consent is not touched
 * and nothing is written. Two submissions at the same instant are serialised by the consent's row lock
 * in the use case; the one that loses answers as the winner did when the consent records a grant of
 * this interaction (`refuse`), so the result stays the first approval's.
 */
@Controller('interaction')
@UseFilters(InteractionExceptionFilter)
export class InteractionController {
  constructor(
    private readonly oidc: OidcProviderRef,
    private readonly csrf: InteractionCsrf,
    private readonly consents: ConsentRequestService,
    private readonly authenticator: CredentialAuthenticator,
    private readonly authorise: AuthoriseAccountAccessConsent,
    private readonly reject: RejectAccountAccessConsent,
    private readonly reauthenticate: ReauthenticateAccountAccessConsent,
    private readonly activity: InteractionActivity,
    private readonly authorisePayment: AuthorisePaymentConsent,
    private readonly rejectPayment: RejectPaymentConsent,
  ) {}

  @Get(':uid')
  async show(@Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const details = await this.details(uid, req, reply);
    if (this.sentOnIfAnswered(details, reply)) return;
    if (!(await this.stillActive(details, req, reply))) return;
    const request = await this.consentRequestOr(details, req, reply);
    if (!request) return;
    if (details.prompt.name === 'login') {
      return sendPage(reply, 200, loginPage({ uid, csrf: this.csrf.tokenFor(uid), tppName: request.tppName, asks: request.kind === 'payment' ? 'payment' : 'information' }));
    }
    if (details.prompt.name === 'consent') {
      if (await this.refusedFundsConsent(details, request, req, reply)) return;
      return sendPage(reply, 200, await this.consentPage(details, request));
    }
    // Only login and consent are in the policy; anything else is a journey this server cannot serve.
    return this.finish(req, reply, { error: 'invalid_request', error_description: 'unsupported interaction' });
  }

  @Post(':uid/login')
  @HttpCode(200)
  async login(@Param('uid') uid: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = parseLoginForm(body);
    const details = await this.details(uid, req, reply);
    this.assertCsrf(uid, form.csrf);
    if (this.sentOnIfAnswered(details, reply)) return;
    if (!(await this.stillActive(details, req, reply))) return;
    if (details.prompt.name !== 'login') return redirectAfterPost(reply, `/interaction/${uid}`);
    const request = await this.consentRequestOr(details, req, reply);
    if (!request) return;
    const again = (error: string, status = 200) =>
      sendPage(
        reply,
        status,
        loginPage({ uid, csrf: this.csrf.tokenFor(uid), tppName: request.tppName, asks: request.kind === 'payment' ? 'payment' : 'information', username: form.username, error }),
      );
    if (!form.username || !form.password || !form.otp) return again('Enter your username, password and one-time code.');

    const outcome = await this.authenticator.authenticatePsu({
      username: form.username,
      password: form.password,
      otp: form.otp,
      interactionId: this.interactionIdOf(reply),
      ip: req.ip,
    });
    if (!outcome.ok) {
      switch (outcome.reason) {
        case 'throttled':
          reply.header('retry-after', String(outcome.retryAfterSeconds));
          return again(throttledMessage(outcome.retryAfterSeconds), 429);
        case 'locked':
          // PSD2 RTS Art. 4(3)(b): locked after 5 failures. The journey ends at the TPP, never on a dead
          // end; an unknown username locks after as many failures, so this tells nothing either.
          return this.finish(req, reply, { error: 'access_denied', error_description: 'the PSU cannot sign in now: too many failed attempts' });
        case 'invalid_credentials':
          return again(GENERIC_LOGIN_FAILURE);
        default: {
          const unhandled: never = outcome;
          throw new Error(`unhandled sign-in outcome ${String(unhandled)}`);
        }
      }
    }
    // RFC 8176 amr values: password, one-time password, multiple factors. Not remembered: the session
    // ends with the browser, and every authorization asks for SCA again anyway.
    return this.finish(req, reply, { login: { accountId: outcome.subjectId, acr: SCA_ACR, amr: ['pwd', 'otp', 'mfa'], remember: false } });
  }

  @Post(':uid/confirm')
  @HttpCode(200)
  async confirm(@Param('uid') uid: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = parseConsentForm(body);
    const details = await this.details(uid, req, reply);
    this.assertCsrf(uid, form.csrf);
    if (this.sentOnIfAnswered(details, reply)) return;
    if (!(await this.stillActive(details, req, reply))) return;
    if (details.prompt.name !== 'consent') return redirectAfterPost(reply, `/interaction/${uid}`);
    const psuId = this.psuOf(details);
    const request = await this.consentRequestOr(details, req, reply);
    if (!request) return;
    if (await this.refusedFundsConsent(details, request, req, reply)) return;
    if (request.kind === 'payment') return this.confirmPayment(details, psuId, request, form.accountIds, req, reply);
    if (request.purpose === 'reauthenticate') return this.confirmReauthentication(details, psuId, request, req, reply);
    if (form.accountIds.length === 0) {
      return sendPage(reply, 200, await this.consentPage(details, request, { error: 'Choose at least one account to share, or deny the request.' }));
    }

    const grant = await this.saveGrant(details, psuId, request);
    const grantId = grant.jti;
    try {
      await this.authorise.execute({
        consentId: request.consentId,
        clientId: request.clientId,
        psuId,
        accountIds: form.accountIds,
        grantId,
        interactionId: this.interactionIdOf(reply),
      });
    } catch (error) {
      await grant.destroy();
      if (!(error instanceof ConsentException)) throw error;
      if (approvalFailure(error.code) === 'choose-again') {
        return sendPage(reply, 400, await this.consentPage(details, request, { error: 'Choose accounts from the list below.', selected: [] }));
      }
      // E.g. authorised meanwhile through another journey (or this page's form sent twice at once): a
      // consent is authorised once.
      return this.refuse(details, req, reply, { error: 'invalid_request', error_description: 'the requested consent can no longer be authorised' });
    }
    return this.finish(req, reply, { consent: { grantId } }, true);
  }

  /**
   * Approve on the payment page: exactly one debtor account (radio), a new grant, and
   * AuthorisePaymentConsent, which records the hash of what the page showed (PSD2 RTS Art. 5).
   */
  private async confirmPayment(
    details: Interaction,
    psuId: string,
    request: PaymentConsentRequest,
    accountIds: string[],
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    if (accountIds.length !== 1) {
      return sendPage(reply, 200, await this.consentPage(details, request, { error: 'Choose the account to pay from, or deny the payment.' }));
    }
    const grant = await this.saveGrant(details, psuId, request);
    const grantId = grant.jti;
    try {
      await this.authorisePayment.execute({
        consentId: request.consentId,
        clientId: request.clientId,
        psuId,
        debtorAccountId: accountIds[0]!,
        grantId,
        interactionId: this.interactionIdOf(reply),
      });
    } catch (error) {
      await grant.destroy();
      if (!(error instanceof ConsentException)) throw error;
      // A funds-confirmation consent's account is fixed: there is no other to choose.
      if (approvalFailure(error.code) === 'choose-again' && request.consent.kind !== 'funds-confirmation') {
        return sendPage(reply, 400, await this.consentPage(details, request, { error: 'Choose an account from the list below.' }));
      }
      return this.refuse(details, req, reply, { error: 'invalid_request', error_description: 'the requested consent can no longer be authorised' });
    }
    return this.finish(req, reply, { consent: { grantId } }, true);
  }

  /**
   * A funds-confirmation consent names its account; when it is not one of the signed-in PSU's (enabled,
   * not a card), the journey ends at the TPP with access_denied and the consent stays AWAU. True when so.
   */
  private async refusedFundsConsent(details: Interaction, request: AnyConsentRequest, req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (request.kind !== 'payment' || request.consent.kind !== 'funds-confirmation') return false;
    const accounts = await this.consents.paymentAccountsOf(this.psuOf(details), request.consent);
    if (accounts.length > 0) return false;
    await this.finish(req, reply, { error: 'access_denied', error_description: 'the consent names an account that is not the PSU’s' });
    return true;
  }

  /**
   * Approve on the re-confirmation page: a new grant (the TPP gets fresh tokens through the code) and
   * ReauthenticateAccountAccessConsent, which restarts the period and keeps the bound accounts as they
   * are. Account ids in the form are ignored: a re-confirmation adds none.
   */
  private async confirmReauthentication(details: Interaction, psuId: string, request: ConsentRequest, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const grant = await this.saveGrant(details, psuId, request);
    const grantId = grant.jti;
    try {
      await this.reauthenticate.execute({
        consentId: request.consentId,
        clientId: request.clientId,
        psuId,
        grantId,
        // Sent twice at once, the second must not revoke the first's grant: `refuse` then answers with it.
        isSameJourneyGrant: (recorded) => isInteractionGrant(details.uid, recorded),
        interactionId: this.interactionIdOf(reply),
      });
    } catch (error) {
      await grant.destroy();
      if (!(error instanceof ConsentException)) throw error;
      switch (error.code) {
        case ConsentExceptionCode.NotFound:
          return this.finish(req, reply, { error: 'access_denied', error_description: 'the signed-in PSU cannot re-confirm this consent' });
        case ConsentExceptionCode.InvalidStatus:
        case ConsentExceptionCode.Expired:
        case ConsentExceptionCode.AccountNotOwned:
        case ConsentExceptionCode.NoAccountSelected:
        case ConsentExceptionCode.InvalidPermissions:
        case ConsentExceptionCode.InvalidDate:
        case ConsentExceptionCode.ConsentMismatch:
        case ConsentExceptionCode.DebtorAccountUnfit:
        case ConsentExceptionCode.ControlParametersBreached:
        case ConsentExceptionCode.TppNotActive:
          // E.g. revoked or expired while the page was open, or the TPP suspended.
          return this.refuse(details, req, reply, { error: 'invalid_request', error_description: 'the requested consent can no longer be re-authenticated' });
        default: {
          const unhandled: never = error.code;
          throw new Error(`unhandled consent exception ${String(unhandled)}`);
        }
      }
    }
    return this.finish(req, reply, { consent: { grantId } }, true);
  }

  /** The PSU denies the consent (or cancels the sign-in): the TPP gets access_denied at its redirect_uri. */
  @Post(':uid/abort')
  @HttpCode(200)
  async abort(@Param('uid') uid: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = parseCsrfForm(body);
    const details = await this.details(uid, req, reply);
    this.assertCsrf(uid, form.csrf);
    if (this.sentOnIfAnswered(details, reply)) return;
    // A journey past its inactivity limit decides nothing, a denial neither: the consent stays AWAU and the
    // TPP is told login_required (until 8 December 2026 an idle Deny still rejected the consent).
    if (!(await this.stillActive(details, req, reply))) return;
    const psuId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !psuId) {
      // Before sign-in nobody has answered for the consent: it stays AWAU and the TPP may try again.
      return this.finish(req, reply, { error: 'access_denied', error_description: 'the PSU cancelled the authorization' });
    }
    try {
      const request = await this.consents.resolve(details.params);
      // Not re-confirming is not a withdrawal: the consent stays AUTH (data access waits, U028) and the
      // PSU revokes it, if they want to, from the dashboard.
      if (request.purpose === 'reauthenticate') {
        return this.refuse(details, req, reply, { error: 'access_denied', error_description: 'the PSU did not re-confirm the consent' });
      }
      if (request.kind === 'payment') {
        await this.rejectPayment.execute({ consentId: request.consentId, psuId, interactionId: this.interactionIdOf(reply) });
      } else {
        await this.reject.execute({ consentId: request.consentId, by: { type: 'psu', psuId }, interactionId: this.interactionIdOf(reply) });
      }
    } catch (error) {
      // A consent that is no longer AWAU keeps its status; the PSU still denied this request, unless
      // this page's Approve, sent at the same instant, authorised it first.
      if (!(error instanceof AuthorizationRefusedException) && !(error instanceof ConsentException)) throw error;
      return this.refuse(details, req, reply, { error: 'access_denied', error_description: 'the PSU denied the consent' });
    }
    return this.finish(req, reply, { error: 'access_denied', error_description: 'the PSU denied the consent' });
  }

  private async details(uid: string, req: FastifyRequest, reply: FastifyReply): Promise<Interaction> {
    let details: Interaction;
    try {
      details = await this.oidc.provider.interactionDetails(req.raw, reply.raw);
    } catch {
      throw new InteractionException(InteractionExceptionCode.SessionNotFound, 'interaction not found or expired');
    }
    // The cookie names the interaction; a URL of another interaction is a confused or forged link.
    if (details.uid !== uid) throw new InteractionException(InteractionExceptionCode.SessionNotFound, 'interaction mismatch');
    // The request line names the TPP and the consent the PSU is deciding on.
    annotateRequest(req.raw, { clientId: String(details.params.client_id ?? ''), consentId: intentIdOf(details) });
    return details;
  }

  /**
   * Whether the journey may go on: after the inactivity limit it ends at the TPP with login_required
   * (the PSU did not complete authentication in time); otherwise the activity is recorded.
   */
  private async stillActive(details: Interaction, req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (this.activity.isIdle(details)) {
      await this.finish(req, reply, { error: 'login_required', error_description: 'the authorization timed out: the PSU was inactive too long' });
      return false;
    }
    await this.activity.touch(details);
    return true;
  }

  /**
   * The checked consent request, or undefined after sending the TPP its error. A re-authentication is
   * the consent's own PSU's alone: once someone else has signed in, the journey ends with access_denied
   * and the consent is left as it was.
   */
  private async consentRequestOr(details: Interaction, req: FastifyRequest, reply: FastifyReply): Promise<AnyConsentRequest | undefined> {
    try {
      const request = await this.consents.resolve(details.params);
      const psuId = details.session?.accountId;
      if (request.purpose === 'reauthenticate' && psuId !== undefined && psuId !== request.consent.psuId) {
        await this.finish(req, reply, { error: 'access_denied', error_description: 'the signed-in PSU cannot re-confirm this consent' });
        return undefined;
      }
      return request;
    } catch (error) {
      if (!(error instanceof AuthorizationRefusedException)) throw error;
      await this.refuse(details, req, reply, { error: error.error, error_description: error.description });
      return undefined;
    }
  }

  private async consentPage(details: Interaction, request: AnyConsentRequest, extra: { error?: string; selected?: string[] } = {}): Promise<string> {
    const psuId = this.psuOf(details);
    if (request.kind === 'payment' && request.consent.kind === 'funds-confirmation') {
      const [psuName, accounts] = await Promise.all([this.consents.psuName(psuId), this.consents.paymentAccountsOf(psuId, request.consent)]);
      const account = accounts[0];
      // refusedFundsConsent ran first: the named account is the PSU's.
      if (!account) throw new Error('funds-confirmation consent without the PSU’s account');
      return fundsConfirmationPage({
        uid: details.uid,
        csrf: this.csrf.tokenFor(details.uid),
        tppName: request.tppName,
        psuName,
        account,
        expirationDateTime: request.consent.expirationDateTime,
        error: extra.error,
      });
    }
    if (request.kind === 'payment' && request.consent.kind === 'domestic-vrp') {
      const params = request.consent.controlParameters as unknown as VrpControlParameters;
      const summary = summariseInitiation(request.consent.initiation);
      const [psuName, accounts] = await Promise.all([this.consents.psuName(psuId), this.consents.paymentAccountsOf(psuId, request.consent)]);
      const creditor = request.consent.initiation.CreditorAccount !== undefined ? summary.creditorAccount : null;
      return vrpPage({
        uid: details.uid,
        csrf: this.csrf.tokenFor(details.uid),
        tppName: request.tppName,
        psuName,
        vrpTypes: params.VRPType,
        maximumIndividualAmount: { amount: params.MaximumIndividualAmount.Amount, currency: params.MaximumIndividualAmount.Currency },
        periodicLimits: params.PeriodicLimits.map((l) => ({ amount: l.Amount, currency: l.Currency, periodType: l.PeriodType, periodAlignment: l.PeriodAlignment })),
        validFrom: params.ValidFromDateTime ? new Date(params.ValidFromDateTime) : null,
        validTo: params.ValidToDateTime ? new Date(params.ValidToDateTime) : null,
        payee: creditor ? { name: creditor.name, scheme: creditor.schemeName, identification: creditor.identification, secondaryIdentification: creditor.secondaryIdentification ?? null } : null,
        accounts,
        debtorNamed: summary.debtorAccount !== null,
        error: extra.error,
      });
    }
    if (request.kind === 'payment') {
      const summary = summariseInitiation(request.consent.initiation);
      const [psuName, accounts] = await Promise.all([this.consents.psuName(psuId), this.consents.paymentAccountsOf(psuId, request.consent)]);
      return paymentPage({
        uid: details.uid,
        csrf: this.csrf.tokenFor(details.uid),
        tppName: request.tppName,
        psuName,
        amount: summary.amount,
        currency: summary.currency,
        payeeName: summary.creditorAccount.name,
        payeeScheme: summary.creditorAccount.schemeName,
        payeeIdentification: summary.creditorAccount.identification,
        payeeSecondaryIdentification: summary.creditorAccount.secondaryIdentification ?? null,
        reference: summary.endToEndIdentification,
        remittance: summary.remittance,
        // A scheduled payment's date, which the approval binds as it binds the amount and the payee.
        executesOn: typeof request.consent.initiation.RequestedExecutionDateTime === 'string' ? new Date(request.consent.initiation.RequestedExecutionDateTime) : null,
        // A standing order's Frequency, amounts and dates, every one of which the approval binds.
        schedule: request.consent.kind === 'domestic-standing-order' ? describeStandingOrder(request.consent.initiation, formatLondonDateTime) : null,
        accounts,
        debtorNamed: summary.debtorAccount !== null,
        error: extra.error,
      });
    }
    if (request.purpose === 'reauthenticate') {
      const [psuName, accounts] = await Promise.all([this.consents.psuName(psuId), this.consents.boundAccountsOf(request.consentId)]);
      return reconfirmPage({
        uid: details.uid,
        csrf: this.csrf.tokenFor(details.uid),
        tppName: request.tppName,
        psuName,
        permissions: describePermissions(request.permissions),
        expirationDateTime: request.consent.expirationDateTime,
        lastConfirmedAt: request.consent.reauthenticatedAt ?? request.consent.authorisedAt,
        accounts,
        error: extra.error,
      });
    }
    const [psuName, accounts] = await Promise.all([this.consents.psuName(psuId), this.consents.accountsOf(psuId)]);
    return consentPage({
      uid: details.uid,
      csrf: this.csrf.tokenFor(details.uid),
      tppName: request.tppName,
      psuName,
      permissions: describePermissions(request.permissions),
      expirationDateTime: request.consent.expirationDateTime,
      transactionFromDateTime: request.consent.transactionFromDateTime,
      transactionToDateTime: request.consent.transactionToDateTime,
      accounts,
      ...extra,
    });
  }

  /**
   * A new grant per consent (never the session's earlier one), holding what the request asked for:
   * OIDC scopes, the openbanking_intent_id claim, and the API's resource scopes. Its id names the
   * interaction (interactionGrantId), which is how `refuse` recognises this interaction's own approval.
   */
  private async saveGrant(details: Interaction, psuId: string, request: AnyConsentRequest): Promise<Grant> {
    const grant = new this.oidc.provider.Grant({
      jti: interactionGrantId(details.uid),
      accountId: psuId,
      clientId: request.clientId,
      // The grant ends with the consent; the provider caps refresh and access tokens at it.
      // A VRP or funds-confirmation grant (with its refresh tokens) lasts as long as the consent.
      expiresIn:
        request.kind === 'payment' && !isRecurringPaymentConsent(request.consent.kind) ? PAYMENT_GRANT_SECONDS : grantLifetime(request.consent.expirationDateTime),
    } as ConstructorParameters<typeof Grant>[0]);
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    grant.addOIDCClaims([...new Set([...(missing.missingOIDCClaims ?? []), OPENBANKING_INTENT_ID])]);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    await grant.save();
    return grant;
  }

  private psuOf(details: Interaction): string {
    const psuId = details.session?.accountId;
    if (!psuId) throw new InteractionException(InteractionExceptionCode.NotSignedIn, 'no signed-in PSU');
    return psuId;
  }

  private assertCsrf(uid: string, token: string): void {
    if (!this.csrf.verify(uid, token)) throw new InteractionException(InteractionExceptionCode.CsrfRejected, 'CSRF token missing or wrong');
  }

  /** The id the request's onRequest hook put on the response (the client's, or a new one). */
  private interactionIdOf(reply: FastifyReply): string {
    return fapiInteractionIdOf(reply.raw.getHeader(FAPI_INTERACTION_ID_HEADER) as string | undefined);
  }

  /**
   * True, with the browser sent on (303) to the interaction's resume, when the interaction has its result
   * already: the first answer stands, and this request neither touches the consent nor writes anything.
   */
  private sentOnIfAnswered(details: Interaction, reply: FastifyReply): boolean {
    if (details.result === undefined) return false;
    redirectAfterPost(reply, details.returnTo);
    return true;
  }

  /**
   * Ends the journey with `refusal`, unless it has been answered meanwhile (another submission of the same
   * page, sent at the same instant, finished first: its answer stands), or the consent records an answer
   * that has not saved its result yet: a grant of this very interaction (the same page's approval got
   * through the consent's row lock first; this request writes exactly that result, never a refusal over
   * it, so whichever answer the browser follows, the TPP gets the approval's code), or a rejection (the
   * same page's Deny got there first: the TPP gets access_denied, as the Deny answers, never the
   * invalid_request of an approval that came too late).
   */
  private async refuse(details: Interaction, req: FastifyRequest, reply: FastifyReply, refusal: { error: string; error_description: string }): Promise<void> {
    if (this.sentOnIfAnswered(await this.details(details.uid, req, reply), reply)) return;
    const recorded = await this.consents.recordedAnswerOf(details.params);
    if (recorded?.grantId !== undefined && isInteractionGrant(details.uid, recorded.grantId)) {
      return this.finish(req, reply, { consent: { grantId: recorded.grantId } }, true);
    }
    if (recorded?.status === 'RJCT') return this.finish(req, reply, { error: 'access_denied', error_description: 'the consent was rejected' });
    return this.finish(req, reply, refusal);
  }

  /** Hands the reply to oidc-provider, which redirects (303) back into the authorization endpoint. */
  private async finish(req: FastifyRequest, reply: FastifyReply, result: InteractionResults, mergeWithLastSubmission = false): Promise<void> {
    reply.hijack();
    reply.raw.setHeader('cache-control', 'no-store');
    await this.oidc.provider.interactionFinished(req.raw, reply.raw, result, { mergeWithLastSubmission });
  }
}

/** The consent an interaction is for; undefined when its claims name none (the provider refused them already). */
function intentIdOf(details: Interaction): string | undefined {
  try {
    return requestedIntentId(details.params.claims as string | undefined);
  } catch {
    return undefined;
  }
}
