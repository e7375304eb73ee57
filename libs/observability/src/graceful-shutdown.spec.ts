import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

import { describe, expect, it } from 'vitest';

import { DrainState } from './graceful-shutdown.js';

function get(port: number): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/' }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection }));
    })
      .on('error', reject)
      .end();
  });
}

describe('DrainState', () => {
  it('answers with Connection: close once draining, and stops accepting only after the open connection has its answer', async () => {
    const drain = new DrainState();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = createServer((req, res) => {
      if (req.url === '/') void held.then(() => res.end('ok'));
    });
    drain.watch(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    expect(drain.draining).toBe(false);

    // A request in flight when the drain begins and the app stops accepting.
    const inFlight = get(port);
    await new Promise((resolve) => setTimeout(resolve, 50));
    drain.begin();
    const stopped = drain.stopAccepting(server, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    release();
    expect(await inFlight).toEqual({ status: 200, connection: 'close' });
    await stopped;
    expect(drain.draining).toBe(true);
  });
});
