export {
  ALERT_CATALOGUE,
  ALERT_CHANNELS,
  ALERT_KINDS,
  ALERT_SOURCE_EVENT_TYPES,
  DEFAULT_ALERT_PREFERENCES,
  deriveAlert,
  FAILED_SIGN_INS_ALERT_COUNT,
  FAILED_SIGN_INS_WINDOW_MINUTES,
  isAtOrAbove,
  isValidThreshold,
  readableAmount,
} from './alert-catalogue.js';
export type { AlertChannel, AlertContext, AlertDraft, AlertKind, AlertPreferences, AlertSourceEvent, AlertSourceEventType } from './alert-catalogue.js';
export { maskEmail, renderAlertEmail } from './alert-email.js';
export type { AlertEmail, AlertForEmail } from './alert-email.js';
export { psuAlertChannel } from './alert-channel.js';
export type { PublishedAlert } from './alert-channel.js';
