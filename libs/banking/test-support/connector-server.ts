import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { BankConnector, InvalidCursorError } from '../src/bank-connector.js';
import { CONNECTOR_OPERATIONS, CONNECTOR_PROTOCOL_PATH, ConnectorErrorBody, ConnectorOperation, isConnectorOperation, reviveDates } from '../src/connector-protocol.js';

export interface ConnectorServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/**
 * An answer a faulty upstream sends instead of its result, after it did the call's work (a payment is
 * debited first): a `200` whose body is cut short (the socket closes before `content-length` bytes), an
 * HTML page (a gateway's), a JSON body of `bytes` bytes, `{"result": result}` with a result outside the
 * contract, or a `status` with the protocol's error body `{"error": error}` (a 4xx after the debit).
 */
export type FaultyAnswer =
  | { kind: 'cut' }
  | { kind: 'html' }
  | { kind: 'oversize'; bytes: number }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; status: number; error: string };

function sendFaulty(request: IncomingMessage, response: ServerResponse, fault: FaultyAnswer, result: unknown): void {
  switch (fault.kind) {
    case 'cut': {
      const whole = JSON.stringify({ result });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(whole) });
      response.write(whole.slice(0, Math.floor(whole.length / 2)), () => request.socket.destroy());
      return;
    }
    case 'html':
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>gateway</html>');
      return;
    case 'oversize': {
      // Chunked, without content-length: the reader must count what it reads.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.on('error', () => undefined);
      const chunk = 'x'.repeat(64 * 1024);
      response.write('{"result":true,"padding":"');
      for (let sent = 0; sent < fault.bytes; sent += chunk.length) response.write(chunk);
      response.end('"}');
      return;
    }
    case 'result':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ result: fault.result }));
      return;
    case 'error':
      response.writeHead(fault.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: fault.error }));
      return;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

async function readBody(request: IncomingMessage): Promise<string | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves a BankConnector over the connector protocol: the bank side of HttpBankConnector, as tests start
 * and stop it. Test-only (`@consentry/banking/test-support`, never built or shipped): a bank implements
 * the protocol (docs/connectors.md) in front of its own core system, and this is the reference for it.
 */
export async function serveBankConnector(
  connector: BankConnector,
  options: {
    token: string;
    port?: number;
    host?: string;
    /** The operations served (all by default); fewer to play an upstream of an older protocol version. */
    operations?: readonly ConnectorOperation[];
    /** Plays a faulty upstream: the answer to send instead of a call's result (after the call ran), or null for the result. */
    faulty?: (operation: ConnectorOperation, args: readonly unknown[]) => FaultyAnswer | null;
  },
): Promise<ConnectorServer> {
  const served = new Set<string>(options.operations ?? CONNECTOR_OPERATIONS);
  const expected = digest(`Bearer ${options.token}`);
  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const server = createServer((request, response) => {
    void (async () => {
      const prefix = `${CONNECTOR_PROTOCOL_PATH}/`;
      const operation = request.url?.startsWith(prefix) ? request.url.slice(prefix.length) : '';
      if (request.method !== 'POST' || !isConnectorOperation(operation) || !served.has(operation)) return send(response, 404, { error: 'invalid_request' } satisfies ConnectorErrorBody);
      if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
        return send(response, 401, { error: 'unauthorized' } satisfies ConnectorErrorBody);
      }
      const text = await readBody(request);
      let args: unknown[];
      try {
        const parsed = JSON.parse(text ?? '', reviveDates) as { args?: unknown };
        if (!Array.isArray(parsed.args)) throw new Error('args');
        args = parsed.args;
      } catch {
        return send(response, 400, { error: 'invalid_request' } satisfies ConnectorErrorBody);
      }
      try {
        const method = connector[operation] as (...a: unknown[]) => Promise<unknown>;
        const result = await method.apply(connector, args);
        const fault = options.faulty?.(operation, args) ?? null;
        if (fault) return sendFaulty(request, response, fault, result);
        send(response, 200, { result });
      } catch (error) {
        if (error instanceof InvalidCursorError) return send(response, 400, { error: 'invalid_cursor' } satisfies ConnectorErrorBody);
        send(response, 500, { error: 'server_error' } satisfies ConnectorErrorBody);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
