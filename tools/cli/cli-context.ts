import { InvalidArgumentError, type Command } from 'commander';
import { openAdminConnection, type AdminConnection } from '@lib/jetstream/admin';

export const DefaultNatsUrl = 'nats://127.0.0.1:4222';
/** The brief of every command: an unreachable server is reported within this bound, not after a hang. */
const NatsTimeoutMs = 5_000;

export interface GlobalOptions {
  server: string;
  json: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<Partial<GlobalOptions>>();
  return { server: options.server ?? process.env.NATS_URL ?? DefaultNatsUrl, json: options.json ?? false };
}

/** Runs one command's NATS work on a fresh connection that is closed afterwards, even on failure. */
export async function withNats<T>(
  command: Command,
  work: (connection: AdminConnection) => Promise<T>,
): Promise<T> {
  const connection = await openAdminConnection(globalOptions(command).server, {
    timeoutMs: NatsTimeoutMs,
    name: 'loomio-workers-cli',
  });
  try {
    return await work(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export function parseSequence(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('expected a stream sequence (a positive integer).');
  }
  return value;
}

export function parseLimit(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > 10_000) {
    throw new InvalidArgumentError('expected an integer between 1 and 10000.');
  }
  return value;
}
