import { connect, NatsError, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { natsConnectionSettings } from '../service-config';
import { NatsUnreachableError } from './admin-errors';

export interface AdminConnection {
  nc: NatsConnection;
  jsm: JetStreamManager;
  js: JetStreamClient;
  close(): Promise<void>;
}

export interface AdminConnectionOptions {
  /** Bound on connecting and on every JetStream API request; defaults to 5 s. */
  timeoutMs?: number;
  /** Shown in the server's connection list (`nats server report connections`). */
  name?: string;
}

/**
 * A short-lived connection for one operator action. It does not reconnect: a CLI command that lost its
 * server should fail promptly with a clear error rather than hang while the client retries.
 */
export async function openAdminConnection(
  url: string,
  options: AdminConnectionOptions = {},
): Promise<AdminConnection> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let nc: NatsConnection;
  try {
    // Operators connect as the `admin` NATS user of deploy/nats/auth.conf where the server asks for one.
    const settings = natsConnectionSettings({
      NATS_URL: url,
      NATS_USER: process.env.NATS_USER || undefined,
      NATS_PASSWORD: process.env.NATS_PASSWORD || undefined,
    });
    nc = await connect({ ...settings, timeout: timeoutMs, reconnect: false, name: options.name });
  } catch (error) {
    throw new NatsUnreachableError(url, describeConnectFailure(error, timeoutMs));
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
    return { nc, jsm, js: jsm.jetstream(), close: () => nc.close() };
  } catch (error) {
    await nc.close().catch(() => undefined);
    if (
      error instanceof NatsError &&
      (error.code === '503' || /jetstream not enabled/i.test(error.message))
    ) {
      throw new NatsUnreachableError(url, 'the server answers but JetStream is not enabled on it');
    }
    throw new NatsUnreachableError(url, describeConnectFailure(error, timeoutMs));
  }
}

function describeConnectFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof NatsError) {
    if (error.code === 'CONNECTION_REFUSED') return 'connection refused (is nats-server running there?)';
    if (error.code === 'TIMEOUT') return `no answer within ${timeoutMs / 1000} s`;
  }
  return error instanceof Error ? error.message : String(error);
}
