export { AuthoriseAccountAccessConsent, lockConsentOfClient, shareableAccountCondition } from './authorise-account-access-consent.use-case.js';
export type { AuthoriseAccountAccessConsentCommand } from './authorise-account-access-consent.use-case.js';
export { CONSENT_ACCESS_COLUMNS, consentAccessFromRow, consentEndedAt, consentLiveCondition, consentsOfGrants, findConsentAccess, findConsentOfClient, isConsentLive } from './consent-queries.js';
export type { ConsentAccess, ConsentOfGrant } from './consent-queries.js';
export {
  accountAccessStatusAsOf,
  assertPaymentConsentTransition,
  assertTransition,
  awaitedTooLong,
  canPaymentConsentTransition,
  canTransition,
  EXPIRING_PAYMENT_CONSENT_KINDS,
  isRecurringPaymentConsent,
  paymentConsentStatusAsOf,
  STALE_AWAITING_STATUS,
} from './consent-status.js';
export type { ConsentStatusClock, StatusAsOf } from './consent-status.js';
export { PAYMENT_CONSENT_SCOPE } from './payment-consent-kind.js';
export { expirePaymentConsents } from './end-payment-consent.use-case.js';
export { RevokePaymentConsent } from './revoke-payment-consent.use-case.js';
export type { RevokePaymentConsentCommand } from './revoke-payment-consent.use-case.js';
export { lockVrpConsent, vrpLimitsRead, vrpRefusalEvent } from './use-vrp-consent.js';
export type { UseVrpConsentCommand, VrpLimitsRead } from './use-vrp-consent.js';
export {
  amountUnits,
  checkVrpPayment,
  controlParameterDefinitionProblems,
  VRP_PERIOD_ALIGNMENTS,
  VRP_PERIOD_TYPES,
  VRP_TYPES,
  vrpPeriodAt,
  vrpPeriodCuts,
  vrpFundsConfirmationProblem,
  obInstant,
} from './vrp-control-parameters.js';
export type { ControlParameterProblem, VrpControlParameters, VrpPeriod, VrpPeriodAlignment, VrpPeriodicLimit, VrpPeriodType, VrpType } from './vrp-control-parameters.js';
export { CreatePaymentConsent } from './create-payment-consent.use-case.js';
export type { CreatePaymentConsentCommand } from './create-payment-consent.use-case.js';
export { AuthorisePaymentConsent } from './authorise-payment-consent.use-case.js';
export type { AuthorisePaymentConsentCommand } from './authorise-payment-consent.use-case.js';
export { RejectPaymentConsent, rejectStalePaymentConsents } from './reject-payment-consent.use-case.js';
export type { RejectPaymentConsentCommand } from './reject-payment-consent.use-case.js';
export { consumePaymentConsent, consumptionWrite, lockPaymentConsentToConsume, withApprovedPaymentConsent } from './consume-payment-consent.js';
export type { ConsumePaymentConsentCommand } from './consume-payment-consent.js';
export {
  findPaymentConsentAccess,
  findPaymentConsentOfClient,
  paymentConsentOfClient,
  isPaymentConsentId,
  isPaymentConsentLive,
  lockPaymentConsentOfClient,
  PAYMENT_CONSENT_ACCESS_COLUMNS,
  PAYMENT_CONSENT_ID_PREFIX,
  paymentConsentAccessFromRow,
} from './payment-consent-queries.js';
export type { PaymentConsentAccess } from './payment-consent-queries.js';
export { describeStandingOrder, describeVrpControlParameters, describeVrpLimit, describeVrpType, formatPaymentAmount } from './payment-consent-descriptions.js';
export type { ConsentTermLine, VrpControlParameterWords } from './payment-consent-descriptions.js';
export { approvalOf, PaymentApprovalSeal } from './payment-approval-seal.js';
export type { ApprovalSealKey, PaymentApproval } from './payment-approval-seal.js';
export { resealPaymentApprovals } from './reseal-payment-approvals.js';
export type { ResealPaymentApprovalsResult } from './reseal-payment-approvals.js';
export { approvalTermsOf, approvedTerms, canonicalJson, initiationAccountProblem, sameInitiation, summariseInitiation } from './payment-initiation.js';
export type { ApprovalTerms, InitiationSummary } from './payment-initiation.js';
export { ConsentException, ConsentExceptionCode } from './consent.exception.js';
export { CreateAccountAccessConsent } from './create-account-access-consent.use-case.js';
export type { CreateAccountAccessConsentCommand } from './create-account-access-consent.use-case.js';
export { ReauthenticateAccountAccessConsent } from './reauthenticate-account-access-consent.use-case.js';
export type { ReauthenticateAccountAccessConsentCommand } from './reauthenticate-account-access-consent.use-case.js';
export { EndConsentOfRevokedGrant, RejectAccountAccessConsent, RevokeAccountAccessConsent, revokeConsentGrant } from './end-account-access-consent.use-case.js';
export type { ConsentEndedBy, EndAccountAccessConsentCommand, GrantRevocationTrigger } from './end-account-access-consent.use-case.js';
export { describePermissions } from './permission-descriptions.js';
export type { PermissionGroup } from './permission-descriptions.js';
export { checkPermissionCombination, isPermission, PERMISSIONS } from './permissions.js';
export type { Permission, PermissionProblem } from './permissions.js';
export { CONSENT_EXPIRY_LOCK_KEY, expireConsents } from './expire-consents.js';
export type { ExpireConsentsOptions, ExpireConsentsResult } from './expire-consents.js';
export {
  DEFAULT_REAUTHENTICATION_POLICY,
  needsReauthentication,
  REAUTHENTICATE_ERROR_CODE,
  reauthenticationDueAt,
} from './consent-reauthentication.js';
export type { ReauthenticationPolicy, ReauthenticationSubject } from './consent-reauthentication.js';
export { ACCESS_TOKEN_GRANT_CLAIM, dpopProofKey, revocationMarkSeconds, revokedAccessTokenKey } from './access-token-revocation.js';
export { redriveStrandedPayments, type StrandedRedriveOptions } from './stranded-payments.js';
export {
  bankOutcomeChanges,
  bankOutcomeWrites,
  UnreachableBanks,
  cancelScheduledPayment,
  cancelStandingOrder,
  executeDueScheduledPayments,
  executeDueStandingOrderRuns,
  sentUnansweredSql,
} from './payment-execution.js';
export type { ScheduledExecutionOptions, ScheduledExecutionResult } from './payment-execution.js';
export { isOrderAsApproved, NOT_AS_APPROVED_DESCRIPTION, NOT_AS_APPROVED_REASON } from './approved-order.js';
export type { OrderToPay } from './approved-order.js';
export {
  largestRunAmount,
  nextStandingOrderRunAfter,
  OB_FREQUENCY6_CODES,
  parseStandingOrderFrequency,
  readStandingOrderSchedule,
  standingOrderRun,
  standingOrderRunDate,
} from './standing-order-frequency.js';
export type { ObFrequency6Code, StandingOrderFrequency, StandingOrderProblem, StandingOrderSchedule } from './standing-order-frequency.js';
export { expireHeldPayments, ReviewHeldPayment } from './payment-review.js';
export { openReviewCondition } from './review-status.js';
export type { ReviewCommand, ReviewOutcome } from './payment-review.js';
export { recordLinkedAccountChange } from './linked-account-change.js';
export type { LinkedAccountChange, RecordLinkedAccountChangeCommand } from './linked-account-change.js';
export { InitiatedOrdersInAis } from './initiated-orders-in-ais.js';
