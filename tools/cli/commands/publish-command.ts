import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Contracts, validatePayload, type Contract, type ContractMap } from '@lib/contracts';
import type { AdminConnection } from '@lib/jetstream/admin';
import { KvBuckets } from '@lib/jetstream/names';
import { JetStreamPublisher } from '@lib/jetstream/publisher';
import { UniqueJobLocks } from '@lib/jetstream/unique-job-locks';
import { CliError, ExitCode } from '../cli-errors';
import { globalOptions, withNats } from '../cli-context';
import { printJson, printLine, printNote } from '../output';

export const CliSource = 'urn:loomio-workers:cli';
/** Same as the services use when they create the bucket (libs/jetstream/src/service.ts). */
const UniqueLockBucketTtlMs = 24 * 3600_000;

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description(
      'Validate a payload against its contract and publish it (CloudEvents envelope, waits for the ack)',
    )
    .argument('<subject>', 'a subject from `contracts`, e.g. events.poll.closed')
    .argument('<payload>', 'JSON text, @path/to/file.json, or - to read stdin')
    .option('--id <id>', 'event/job id (also the deduplication key); a random UUID by default')
    .action(async (subject: string, payloadSource: string, options: { id?: string }, command: Command) => {
      const contract = contractFor(subject);
      const payload = parsePayload(await readPayloadText(payloadSource));
      // Checked before connecting: a bad payload is reported the same whether or not NATS is up.
      validatePayload(contract, payload);
      const result = await withNats(command, async (connection) => {
        const publisher = new JetStreamPublisher<ContractMap>(
          connection.js,
          Contracts,
          CliSource,
          contract.options.unique ? await uniqueLocks(connection) : undefined,
        );
        return publisher.publish(subject, payload, { id: options.id });
      });
      if (globalOptions(command).json) return printJson({ subject, ...result });
      if (result.dropped) {
        printNote(
          `dropped: a ${subject} job with the same uniqueness key is pending, so nothing was published`,
        );
        return;
      }
      printLine(`published ${subject}`);
      printLine(`  id         ${result.id}`);
      printLine(`  stream     ${result.stream}`);
      printLine(`  seq        ${result.seq}`);
      printLine(`  duplicate  ${result.duplicate}`);
      if (result.duplicate)
        printNote('note: the stream already held this id in its duplicate window; nothing new was stored');
    });
}

function contractFor(subject: string): Contract {
  const contract = (Contracts as ContractMap)[subject];
  if (!contract) {
    const known = Object.keys(Contracts).sort().join(', ');
    throw new CliError(`Unknown subject "${subject}". Known subjects: ${known}`, ExitCode.invalidInput);
  }
  return contract;
}

async function readPayloadText(source: string): Promise<string> {
  if (source === '-') return readStdin();
  if (!source.startsWith('@')) return source;
  const path = source.slice(1);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read payload file ${path}: ${(error as Error).message}`,
      ExitCode.invalidInput,
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`The payload is not valid JSON: ${(error as Error).message}`, ExitCode.invalidInput);
  }
}

/** Opened only for contracts with a uniqueness key, so a plain publish never creates the bucket. */
async function uniqueLocks(connection: AdminConnection): Promise<UniqueJobLocks> {
  const kv = await connection.js.views.kv(KvBuckets.uniqueJobs, { history: 1, ttl: UniqueLockBucketTtlMs });
  return new UniqueJobLocks(kv);
}
