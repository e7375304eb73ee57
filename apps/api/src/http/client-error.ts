import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';

import { MESSAGE_SIGNATURE_HEADER, signMessage } from '@consentry/message-signing';
import { buildObErrorResponse, ObErrorCode } from '@consentry/validation';
import { ConnectionError } from 'fastify';

import { BankSigningKeys } from '../message-signing/bank-signing-keys.js';
import { isSignedResponsePath } from '../message-signing/response-signing.hook.js';
import { INTERACTION_ID_HEADER } from './interaction-id.hook.js';
import { routedPathOf } from './routed-path.js';

const REFUSALS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, message: 'The request headers are larger than the server accepts' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
};
const MALFORMED = { status: 400, message: 'The request is not valid HTTP' };

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses before Fastify sees it (headers
 * over the size limit, a malformed request line, a request too slow to arrive). Answered in the OB error
 * shape, as every other refusal, and signed as a PIS, VRP or CBPII answer must be: under those paths, and
 * whenever the parser's bytes no longer hold the request line (headers that overflow usually arrive in
 * several reads), since a signature where none is needed costs nothing and one missing breaks a TPP.
 */
export function clientErrorAnswerer(keys: BankSigningKeys) {
  return (error: ConnectionError, socket: Socket): void => {
    // A reset connection has no one to answer (as Fastify's own handler).
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // The answer is written once it is signed, a moment from now. A client that half-closed its side
    // after the request would meanwhile have Node end ours (its 'end' handler), and the answer would be
    // lost: this socket is ours now, until the answer destroys it.
    socket.removeAllListeners('end');
    const refusal = REFUSALS[error.code] ?? MALFORMED;
    const body = buildObErrorResponse(refusal.status, refusal.message, [{ ErrorCode: ObErrorCode.FieldInvalid, Message: refusal.message }]);
    const text = JSON.stringify(body);
    // Node gives the bytes it was parsing as a Buffer (Fastify's type says otherwise).
    const path = requestPath(error.rawPacket as unknown);
    const signing = path === undefined || isSignedResponsePath(path) ? signMessage(text, keys.signer) : Promise.resolve(undefined);
    void signing.then(
      (signature) => answer(socket, refusal.status, body.Id, text, signature, error),
      () => answer(socket, refusal.status, body.Id, text, undefined, error),
    );
  };
}

function answer(socket: Socket, status: number, id: string, text: string, signature: string | undefined, error: Error): void {
  if (socket.writable) {
    const headers = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(text)}`,
      `${INTERACTION_ID_HEADER}: ${id}`,
      'cache-control: no-store',
      'x-content-type-options: nosniff',
      ...(signature ? [`${MESSAGE_SIGNATURE_HEADER}: ${signature}`] : []),
      'connection: close',
    ];
    socket.write(`${headers.join('\r\n')}\r\n\r\n${text}`);
  }
  // The connection cannot carry another request after a parse error (as Node's and Fastify's own handlers).
  socket.destroy(error);
}

/** The routed path of the request line at the start of `packet`, when it is there and readable. */
function requestPath(packet: unknown): string | undefined {
  if (!Buffer.isBuffer(packet)) return undefined;
  const line = /^[A-Z]{1,20} (\/[^ \r\n]{0,8192}) HTTP\/1\.[01]\r?\n/.exec(packet.subarray(0, 8300).toString('latin1'));
  return line ? routedPathOf(line[1]!) : undefined;
}
