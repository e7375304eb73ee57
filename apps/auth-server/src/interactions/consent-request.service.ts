import type { AuthServerConfig } from '@consentry/config';
import {
  approvalTermsOf,
  awaitedTooLong,
  findConsentOfClient,
  findPaymentConsentOfClient,
  initiationAccountProblem,
  isPaymentConsentId,
  needsReauthentication,
  PAYMENT_CONSENT_SCOPE,
  Permission,
  shareableAccountCondition,
} from '@consentry/consents';
import { AccountAccessConsentEntity, type ConsentStatus, DataSource, PaymentConsentEntity, type PaymentConsentStatus, uuidOrNull } from '@consentry/database';
import { Inject, Injectable } from '@nestjs/common';
import { errors } from 'oidc-provider';

import { AUTH_SERVER_CONFIG, DATA_SOURCE } from '../auth-server.tokens.js';
import { OPENBANKING_INTENT_ID, requestedIntentId } from '../provider/openbanking-intent.js';
import { ConsentAccountView, PaymentAccountView } from './interaction.views.js';

/**
 * What the PSU is asked: to authorise an AWAU consent (and pick its accounts), or to re-confirm an AUTH
 * consent whose periodic re-authentication is due (PSD2 RTS Art. 10a, FCA SCA-RTS Art. 10A).
 */
export type ConsentRequestPurpose = 'authorise' | 'reauthenticate';

/** The consent an authorization request asks the PSU to authorise, checked against the requesting TPP. */
export interface ConsentRequest {
  kind: 'account-access';
  purpose: ConsentRequestPurpose;
  consentId: string;
  clientId: string;
  tppName: string;
  consent: AccountAccessConsentEntity;
  permissions: Permission[];
}

/** A payment consent the PSU is asked to approve (PSD2 Art. 66; amount and payee shown: RTS Art. 5). */
export interface PaymentConsentRequest {
  kind: 'payment';
  purpose: 'authorise';
  consentId: string;
  clientId: string;
  tppName: string;
  consent: PaymentConsentEntity;
}

export type AnyConsentRequest = ConsentRequest | PaymentConsentRequest;

/** The scope an account-access consent is authorised with; a payment consent's is its kind's (PAYMENT_CONSENT_SCOPE). */
const ACCOUNT_ACCESS_SCOPE = 'accounts';

/**
 * An authorization request that must not go on: returned to the TPP at its redirect_uri as an OAuth
 * error (with state and iss), not shown to the PSU as a failure of theirs.
 */
export class AuthorizationRefusedException extends Error {
  override name = 'AuthorizationRefusedException';

  constructor(
    readonly error: 'invalid_request' | 'invalid_scope' | 'access_denied',
    readonly description: string,
  ) {
    super(description);
  }
}

@Injectable()
export class ConsentRequestService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
  ) {}

  /**
   * Resolves the ConsentId of the request's `claims` parameter and checks the consent exists, belongs
   * to the requesting TPP (another TPP's consent is reported as unknown), has not expired, and either
   * awaits authorisation or is authorised and due for re-authentication. An authorised consent that is
   * not due is refused as before: a consent is authorised once.
   */
  async resolve(params: Record<string, unknown>): Promise<AnyConsentRequest> {
    const clientId = String(params.client_id ?? '');
    let consentId: string | undefined;
    try {
      consentId = requestedIntentId(typeof params.claims === 'string' ? params.claims : undefined);
    } catch (error) {
      throw new AuthorizationRefusedException('invalid_request', error instanceof errors.OIDCProviderError ? (error.error_description ?? error.message) : 'invalid claims parameter');
    }
    if (!consentId) {
      throw new AuthorizationRefusedException('invalid_request', `the request names no consent: claims ${OPENBANKING_INTENT_ID} is required`);
    }
    if (isPaymentConsentId(consentId)) return this.resolvePayment(consentId, clientId, params);
    const consent = await findConsentOfClient(this.dataSource, consentId, clientId);
    if (!consent) throw new AuthorizationRefusedException('invalid_request', 'the requested consent does not exist');
    const now = new Date();
    const purpose: ConsentRequestPurpose | undefined =
      consent.status === 'AWAU' ? 'authorise' : consent.status === 'AUTH' && needsReauthentication(consent, undefined, now) ? 'reauthenticate' : undefined;
    if (!purpose) {
      throw new AuthorizationRefusedException('invalid_request', 'the requested consent is not awaiting authorisation');
    }
    if ((consent.expirationDateTime && consent.expirationDateTime <= now) || awaitedTooLong(consent, now, this.config.consentAwaitingMaxAgeSeconds)) {
      throw new AuthorizationRefusedException('invalid_request', 'the requested consent has expired');
    }
    assertScopeOfConsent(params, ACCOUNT_ACCESS_SCOPE, 'an account-access');
    return { kind: 'account-access', purpose, consentId, clientId, tppName: await this.tppName(clientId), consent, permissions: consent.permissions as Permission[] };
  }

  /**
   * What the consent named by the request records of its answer, whatever its status: the grant of the
   * approval that authorised it, if any, and its status; undefined when the request names no consent of
   * this TPP.
   */
  async recordedAnswerOf(params: Record<string, unknown>): Promise<{ grantId: string | undefined; status: ConsentStatus | PaymentConsentStatus } | undefined> {
    const clientId = String(params.client_id ?? '');
    let consentId: string | undefined;
    try {
      consentId = requestedIntentId(typeof params.claims === 'string' ? params.claims : undefined);
    } catch {
      return undefined;
    }
    if (!consentId) return undefined;
    const consent = isPaymentConsentId(consentId)
      ? await findPaymentConsentOfClient(this.dataSource, consentId, clientId)
      : await findConsentOfClient(this.dataSource, consentId, clientId);
    return consent ? { grantId: consent.grantId ?? undefined, status: consent.status } : undefined;
  }

  /**
   * A payment or funds-confirmation consent: the TPP's own, AWAU (approved once), unexpired, asked with
   * its kind's scope (payments, or fundsconfirmations) and no other.
   */
  private async resolvePayment(consentId: string, clientId: string, params: Record<string, unknown>): Promise<PaymentConsentRequest> {
    const consent = await findPaymentConsentOfClient(this.dataSource, consentId, clientId);
    if (!consent) throw new AuthorizationRefusedException('invalid_request', 'the requested consent does not exist');
    if (consent.status !== 'AWAU') throw new AuthorizationRefusedException('invalid_request', 'the requested consent is not awaiting authorisation');
    const now = new Date();
    if ((consent.expirationDateTime && consent.expirationDateTime <= now) || awaitedTooLong(consent, now, this.config.consentAwaitingMaxAgeSeconds)) {
      throw new AuthorizationRefusedException('invalid_request', 'the requested consent has expired');
    }
    // Stored before the API refused such accounts (7 December 2026): no order could repeat it, so the PSU
    // is not asked to approve it (the page would show the PSU a payee that can never be paid).
    const unpayable = initiationAccountProblem(consent.initiation);
    if (unpayable) throw new AuthorizationRefusedException('invalid_request', `the requested consent cannot be paid: its ${unpayable}`);
    assertScopeOfConsent(params, PAYMENT_CONSENT_SCOPE[consent.kind], `a ${consent.kind}`);
    return { kind: 'payment', purpose: 'authorise', consentId, clientId, tppName: await this.tppName(clientId), consent };
  }

  /**
   * The PSU's accounts that can serve this consent: enabled, in the payment's currency (a funds-confirmation
   * consent has none), not a card, and the one the TPP named if it named one (a funds-confirmation consent
   * always does: none or one). Account numbers are shown by their last four digits only.
   */
  async paymentAccountsOf(psuId: string, consent: PaymentConsentEntity): Promise<PaymentAccountView[]> {
    const terms = approvalTermsOf(consent.kind, consent.initiation, consent.controlParameters);
    const rows: Array<Record<string, string | null>> = await this.dataSource.query(
      `SELECT a.account_id, s.name AS aspsp_name, a.nickname, a.description, a.account_type_code, a.currency, right(a.identification, 4) AS last_digits
         FROM account a JOIN aspsp s ON s.aspsp_id = a.aspsp_id
        WHERE a.psu_id = ${uuidOrNull('$1::text')} AND a.status = 'Enabled' AND ($2::text IS NULL OR a.currency = $2) AND a.scheme_name <> 'UK.OBIE.PAN'
          AND ($3::text IS NULL OR (a.scheme_name = $3 AND a.identification = $4))
        ORDER BY s.name, a.created_at, a.account_id`,
      [psuId, terms.money?.currency ?? null, terms.debtorAccount?.schemeName ?? null, terms.debtorAccount?.identification ?? null],
    );
    return rows.map((row) => ({ ...accountView(row), lastDigits: row.last_digits ?? '' }));
  }

  async tppName(clientId: string): Promise<string> {
    const rows: Array<{ name: string }> = await this.dataSource.query(`SELECT name FROM tpp WHERE client_id = $1`, [clientId]);
    return rows[0]?.name ?? clientId;
  }

  async psuName(psuId: string): Promise<string> {
    const rows: Array<{ display_name: string }> = await this.dataSource.query(`SELECT display_name FROM psu WHERE psu_id = ${uuidOrNull('$1')}`, [psuId]);
    return rows[0]?.display_name ?? '';
  }

  /** The accounts already bound to the consent, bank by bank: what a re-confirmation keeps sharing. */
  async boundAccountsOf(consentId: string): Promise<ConsentAccountView[]> {
    const rows: Array<Record<string, string | null>> = await this.dataSource.query(
      `SELECT a.account_id, s.name AS aspsp_name, a.nickname, a.description, a.account_type_code, a.currency
         FROM consent_account ca JOIN account a ON a.account_id = ca.account_id JOIN aspsp s ON s.aspsp_id = a.aspsp_id
        WHERE ca.consent_id = $1
        ORDER BY s.name, a.created_at, a.account_id`,
      [consentId],
    );
    return rows.map(accountView);
  }

  /**
   * The accounts an account-access consent may share, across every bank the platform aggregates, bank by
   * bank: the PSU's enabled ones (shareableAccountCondition, which AuthoriseAccountAccessConsent enforces).
   */
  async accountsOf(psuId: string): Promise<ConsentAccountView[]> {
    const rows: Array<Record<string, string | null>> = await this.dataSource.query(
      `SELECT a.account_id, s.name AS aspsp_name, a.nickname, a.description, a.account_type_code, a.currency
         FROM account a JOIN aspsp s ON s.aspsp_id = a.aspsp_id
        WHERE ${shareableAccountCondition('a', '$1')}
        ORDER BY s.name, a.created_at, a.account_id`,
      [psuId],
    );
    return rows.map(accountView);
  }
}

/**
 * A consent is authorised with its own resource scope and no other (`openid` aside): the grant, its tokens
 * and whether it gets refresh tokens follow from one consent, so a scope it does not cover (`accounts` on a
 * domestic payment consent) must not ride along. Missing or extra, the TPP gets invalid_scope (RFC 6749 4.1.2.1).
 */
function assertScopeOfConsent(params: Record<string, unknown>, scope: string, consentName: string): void {
  const requested = new Set(String(params.scope ?? '').split(' ').filter((s) => s.length > 0));
  requested.delete('openid');
  if (requested.size !== 1 || !requested.has(scope)) {
    throw new AuthorizationRefusedException('invalid_scope', `${consentName} consent is authorised with the ${scope} scope alone`);
  }
}

function accountView(row: Record<string, string | null>): ConsentAccountView {
  return {
    accountId: row.account_id!,
    aspspName: row.aspsp_name!,
    nickname: row.nickname,
    description: row.description,
    accountTypeCode: row.account_type_code!,
    currency: row.currency!,
  };
}
