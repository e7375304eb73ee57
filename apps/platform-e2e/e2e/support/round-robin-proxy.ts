import { createConnection, createServer, Server, Socket } from 'node:net';

/** A TCP proxy that hands each new connection to the next backend in turn, and counts who got how many. */
export interface RoundRobinProxy {
  port: number;
  /** Adds a backend (an instance started after the proxy). */
  addBackend(port: number): void;
  /** Connections handed to each backend port so far. */
  connections: Map<number, number>;
  close(): Promise<void>;
}

/**
 * Round-robin at the TCP level, as a cloud load balancer does without session affinity: every connection
 * goes to the next backend. With keep-alive off on the client (see `oneRequestPerConnection`), every
 * request is its own connection, so consecutive requests alternate between the instances.
 */
export async function startRoundRobinProxy(backendPorts: readonly number[], port = 0): Promise<RoundRobinProxy> {
  let next = 0;
  const backends = [...backendPorts];
  const connections = new Map<number, number>(backends.map((p) => [p, 0]));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (backends.length === 0) {
      client.destroy();
      return;
    }
    const target = backends[next++ % backends.length]!;
    connections.set(target, (connections.get(target) ?? 0) + 1);
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    addBackend(backend: number) {
      backends.push(backend);
      connections.set(backend, 0);
    },
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
