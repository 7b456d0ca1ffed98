import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { freePorts } from './free-port';
import { createStoreDir, NatsServerProcess, type NatsServerHandle } from './nats-server';
import { waitFor } from './wait-for';

const DEFAULT_START_TIMEOUT_MS = 30_000;

export interface NatsClusterOptions {
  /** How long to wait for the members and the JetStream meta leader; defaults to 30 s. */
  startTimeoutMs?: number;
}

export interface NatsClusterHandle {
  /** Client URLs of all members, in member order. */
  readonly urls: string[];
  /** The members; each can be stopped, killed and restarted on its own. */
  readonly servers: NatsServerHandle[];
  /** Resolves once JetStream has a meta leader, e.g. after restarting members. */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  /** Stops every member and removes their store dirs. */
  cleanup(): Promise<void>;
}

/**
 * Starts a JetStream-enabled nats-server cluster of `size` members routed to each other and resolves
 * once the cluster has elected a JetStream meta leader.
 */
export async function startNatsCluster(
  size = 3,
  options: NatsClusterOptions = {},
): Promise<NatsClusterHandle> {
  if (!Number.isInteger(size) || size < 2) {
    // nats-server refuses clustered JetStream without routes; a lone server is startNatsServer's job.
    throw new Error(`Cluster size must be an integer >= 2, got ${size}`);
  }
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  // A unique name keeps a stray route from some other test cluster from being accepted.
  const clusterName = `test-cluster-${randomBytes(4).toString('hex')}`;

  const ports = await freePorts(size * 2);
  const members = await Promise.all(
    Array.from({ length: size }, async (_, index) => ({
      name: `${clusterName}-n${index + 1}`,
      clientPort: ports[index * 2],
      routePort: ports[index * 2 + 1],
      storeDir: await createStoreDir(),
    })),
  );
  const routeUrl = (routePort: number): string => `nats://127.0.0.1:${routePort}`;

  const servers = members.map(
    (member) =>
      new NatsServerProcess({
        port: member.clientPort,
        storeDir: member.storeDir,
        ownsStoreDir: true,
        args: [
          ['-a', '127.0.0.1', '-p', String(member.clientPort)],
          ['-n', member.name, '-js', '-sd', member.storeDir],
          ['--cluster_name', clusterName, '--cluster', routeUrl(member.routePort)],
          [
            '--routes',
            members
              .filter((other) => other !== member)
              .map((other) => routeUrl(other.routePort))
              .join(','),
          ],
        ].flat(),
        // JetStream needs a quorum, so members only wait for connections; the cluster waits for JetStream.
        readiness: 'accepting-connections',
        startTimeoutMs,
        label: `nats-server ${member.name} :${member.clientPort}`,
      }),
  );
  const urls = servers.map((server) => server.url);

  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.cleanup()));
  };
  const waitForJetStream = async (timeoutMs = startTimeoutMs): Promise<void> => {
    await waitFor(() => jetStreamAnswers(urls), {
      timeoutMs,
      intervalMs: 100,
      description: `a JetStream meta leader in cluster ${clusterName}`,
    });
  };

  try {
    const starts = await Promise.allSettled(servers.map((server) => server.start()));
    const failure = starts.find((start): start is PromiseRejectedResult => start.status === 'rejected');
    if (failure) throw failure.reason;
    await waitForJetStream();
  } catch (error) {
    await cleanup();
    throw error;
  }

  return { urls, servers, waitForJetStream, cleanup };
}

async function jetStreamAnswers(urls: string[]): Promise<boolean> {
  const connection = await connect({ servers: urls, reconnect: false, timeout: 1_000 });
  try {
    const manager = await connection.jetstreamManager({ timeout: 1_000 });
    await manager.getAccountInfo();
    return true;
  } finally {
    await connection.close();
  }
}
