import { IncomingHttpHeaders, request } from 'node:http';

import { JsonBody } from './api-harness.js';

/** One header line as it goes on the wire: name (its case kept) and value. */
export type HeaderLine = readonly [name: string, value: string];

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent (what a response signature covers). */
  text: string;
  body: JsonBody;
}

/**
 * A request with exactly these header lines, in this order, over node:http: a name may repeat, and no
 * header is added but Host and Content-Length (fetch joins a repeated name into one line and adds
 * `Accept: *\/*` when none is given).
 */
export function rawRequest(baseUrl: string, method: string, path: string, lines: readonly HeaderLine[], body?: string): Promise<RawAnswer> {
  const url = new URL(path, baseUrl);
  const flat = ['host', url.host, ...lines.flat()];
  if (body !== undefined) flat.push('content-length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: flat }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body: parsed as JsonBody });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
