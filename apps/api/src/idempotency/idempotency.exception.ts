export enum IdempotencyExceptionCode {
  /** No x-idempotency-key on a POST that requires one (U007 Header.Missing). */
  KeyMissing = 'KeyMissing',
  /** An x-idempotency-key longer than 40 characters, blank at either end, or sent twice (U006 Header.Invalid). */
  KeyInvalid = 'KeyInvalid',
  /** The key was used within 24 hours by this client on this path with another body (409 U029). */
  KeyReused = 'KeyReused',
}

/** A payment POST refused on its idempotency key. The message never quotes the key or the body. */
export class IdempotencyException extends Error {
  override name = 'IdempotencyException';

  constructor(
    readonly code: IdempotencyExceptionCode,
    message: string,
  ) {
    super(message);
  }
}
