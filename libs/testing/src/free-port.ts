import { createServer, type Server } from 'node:net';

/**
 * Asks the kernel for a currently unused TCP port on `host`.
 *
 * The port is released before it is returned, so another process could grab it in between; that
 * window is tiny in practice and far better than hard-coded ports clashing between jest workers.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port;
}

/** Like `freePort`, but `count` ports guaranteed to differ from each other. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  // All probes stay bound until every port is known; releasing one early could hand it out twice.
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const server = createServer();
      server.unref();
      servers.push(server);
      ports.push(await listenOnAnyPort(server, host));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function listenOnAnyPort(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`Expected a TCP address from the probe server, got ${String(address)}`));
        return;
      }
      resolve(address.port);
    });
  });
}
