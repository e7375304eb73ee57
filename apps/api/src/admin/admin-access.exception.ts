import { AdminRole } from '@consentry/identity';
import { CodedException } from '@consentry/validation';

export enum AdminAccessExceptionCode {
  /** The route needs a role the signed-in admin does not hold (now: roles are read at every request). */
  RoleMissing = 'RoleMissing',
}

/** An admin API request or console page refused for the admin's roles: 403 on the API, a 403 page in the console. */
export class AdminAccessException extends CodedException<AdminAccessExceptionCode> {
  constructor(
    code: AdminAccessExceptionCode,
    /** The role the route needs. */
    readonly role: AdminRole,
  ) {
    super(code, `This needs the administrator role ${role}, which this administrator does not hold`);
  }
}
