import { CodedException } from '@consentry/validation';

export enum PageExceptionCode {
  /** No session cookie, or one whose session ended (idle timeout, sign-out, other realm's token). */
  SignInRequired = 'SignInRequired',
  /** The form's CSRF token is missing or does not belong to this session. */
  InvalidCsrf = 'InvalidCsrf',
  /** A form field has the wrong shape or size. */
  InvalidForm = 'InvalidForm',
}

/** A refused request of the dashboard or the admin console, answered with a page, never JSON. */
export class PageException extends CodedException<PageExceptionCode> {}
