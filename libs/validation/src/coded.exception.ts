/**
 * The base of every feature's exception: a code from the feature's enum and a message. Each transport
 * has one exception filter that maps the codes to its wire format (OBErrorResponse1, `{ error,
 * error_description }`, a problem body or a page), switching over the code and ending in `unreachable`.
 */
export abstract class CodedException<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The end of a `switch` over a code enum: a code added to the enum and not to the switch makes the call
 * a type error, so no transport can forget it.
 */
export function unreachable(value: never): never {
  throw new Error(`unhandled code ${String(value)}`);
}
